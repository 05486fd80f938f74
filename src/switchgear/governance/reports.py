"""Usage and cost reports by key, team, app, model, provider and day, with the savings of
self-hosted routing priced against a reference model.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from switchgear.routing.target import Target
from switchgear.store.base import UsageRecord

GROUPS = ("key_id", "team", "app", "model", "provider", "day")


def usage_report(
    rows: Sequence[UsageRecord],
    group_by: Sequence[str],
    targets: dict[str, Target],
    reference: Target | None,
) -> list[dict[str, Any]]:
    totals: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(_group_value(row, g) for g in group_by)
        bucket = totals.setdefault(
            key,
            {
                **dict(zip(group_by, key, strict=True)),
                "requests": 0,
                "errors": 0,
                "prompt_tokens": 0,
                "completion_tokens": 0,
                "cost": 0.0,
                "reference_cost": 0.0,
                "saved": 0.0,
            },
        )
        bucket["requests"] += 1
        bucket["errors"] += row.status != "ok"
        bucket["prompt_tokens"] += row.prompt_tokens
        bucket["completion_tokens"] += row.completion_tokens
        bucket["cost"] += row.cost
        served = targets.get(row.served_model or "")
        if reference is not None and served is not None and served.self_hosted:
            would_cost = reference.cost(row.prompt_tokens, row.completion_tokens, 0.0)
            bucket["reference_cost"] += would_cost
            bucket["saved"] += would_cost - row.cost
    report = list(totals.values())
    for bucket in report:
        for name in ("cost", "reference_cost", "saved"):
            bucket[name] = round(bucket[name], 8)
    return sorted(report, key=lambda b: tuple(str(b[g]) for g in group_by))


def to_csv(report: list[dict[str, Any]]) -> str:
    if not report:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(report[0]))
    writer.writeheader()
    writer.writerows(report)
    return out.getvalue()


def _group_value(row: UsageRecord, group: str) -> Any:
    if group == "day":
        return datetime.fromtimestamp(row.created_at, UTC).strftime("%Y-%m-%d")
    if group == "model":
        return row.served_model or row.model
    return getattr(row, group)
