"""What the overview page shows, computed in the database where it can be: per-bucket series
for the charts, per-group tables, latency percentiles, savings against the reference model,
guard events by type and the latest requests. Only the window's rows are read."""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from switchgear.console.overview_rollup import fill_from_rollups
from switchgear.console.rollup import BUCKET_S, read_rollups, roll_up
from switchgear.routing.target import Target
from switchgear.store.sql import SqlStore

# window name -> (seconds, bucket seconds)
# The hour reads raw rows (exact percentiles); day and month read the hourly rollups.
WINDOWS = {"hour": (3600, 60), "day": (86400, 3600), "month": (30 * 86400, 86400)}
GROUPS = {"model": "COALESCE(served_model, model)", "route": "route", "team": "team", "app": "app"}


@dataclass
class Overview:
    window: str
    group: str
    since: float
    bucket_s: int
    series: dict[str, list[float | None]] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, float] = field(default_factory=dict)
    guard_events: list[tuple[str, str, int]] = field(default_factory=list)
    recent: list[dict[str, Any]] = field(default_factory=list)
    saved: float = 0.0
    reference: str | None = None
    estimated: bool = False  # percentiles from a histogram (the rollups)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return None
    return values[max(0, math.ceil(q * len(values)) - 1)]


def build_overview(
    store: SqlStore,
    window: str,
    group: str,
    targets: dict[str, Target],
    reference: Target | None,
    now: float | None = None,
) -> Overview:
    span, bucket_s = WINDOWS[window]
    now = time.time() if now is None else now
    since = now - span
    view = Overview(
        window, group, since, bucket_s, reference=reference.model_id if reference else None
    )

    if window != "hour":
        roll_up(store)
        view.since = float(int(since // BUCKET_S) * BUCKET_S)  # whole hours
        count = math.ceil((now - view.since) / bucket_s)
        found = read_rollups(store, view.since, group)
        fill_from_rollups(view, found, count, targets, reference)
        store.transaction(lambda cursor: _recent(store, cursor, view))
        return view

    def run(cursor: Any) -> None:
        _series(store, cursor, view, span)
        _groups(store, cursor, view)
        _savings(store, cursor, view, targets, reference)
        _guards(store, cursor, view)
        _recent(store, cursor, view)

    store.transaction(run)
    return view


def _series(store: SqlStore, cursor: Any, view: Overview, span: int) -> None:
    count = span // view.bucket_s
    cursor.execute(
        store.sql(
            "SELECT CAST((created_at - ?) / ? AS INTEGER) AS b, COUNT(*), "
            "SUM(CASE WHEN status = 'ok' THEN 0 ELSE 1 END), "
            "SUM(prompt_tokens + completion_tokens), SUM(cost), AVG(latency_ms) "
            "FROM usage WHERE created_at >= ? GROUP BY b"
        ),
        (view.since, view.bucket_s, view.since),
    )
    names = ("requests", "errors", "tokens", "cost", "latency_ms")
    series: dict[str, list[float | None]] = {n: [0.0] * count for n in names}
    series["latency_ms"] = [None] * count
    for bucket, *values in cursor.fetchall():
        if 0 <= int(bucket) < count:
            for name, value in zip(names, values, strict=True):
                series[name][int(bucket)] = None if value is None else float(value)
    series["time"] = [view.since + (i + 1) * view.bucket_s for i in range(count)]
    view.series = series


def _groups(store: SqlStore, cursor: Any, view: Overview) -> None:
    column = GROUPS[view.group]
    cursor.execute(
        store.sql(
            f"SELECT {column}, COUNT(*), SUM(CASE WHEN status = 'ok' THEN 0 ELSE 1 END), "
            "SUM(prompt_tokens), SUM(completion_tokens), SUM(cost), AVG(ttft_ms) "
            f"FROM usage WHERE created_at >= ? GROUP BY {column} ORDER BY 2 DESC"
        ),
        (view.since,),
    )
    rows = {
        r[0]: {
            "name": r[0] if r[0] is not None else "(none)",
            "requests": int(r[1]),
            "errors": int(r[2]),
            "prompt_tokens": int(r[3]),
            "completion_tokens": int(r[4]),
            "cost": float(r[5]),
            "ttft_ms": None if r[6] is None else float(r[6]),
        }
        for r in cursor.fetchall()
    }
    # Percentiles need the ordered latencies; the database sorts them, we pick the ranks.
    cursor.execute(
        store.sql(f"SELECT {column}, latency_ms FROM usage WHERE created_at >= ? ORDER BY 1, 2"),
        (view.since,),
    )
    latencies: dict[Any, list[float]] = {}
    for name, latency in cursor.fetchall():
        latencies.setdefault(name, []).append(float(latency))
    for name, row in rows.items():
        values = latencies.get(name, [])
        row["p50_ms"], row["p95_ms"] = percentile(values, 0.5), percentile(values, 0.95)
    view.rows = list(rows.values())
    view.totals = {
        "requests": sum(r["requests"] for r in view.rows),
        "errors": sum(r["errors"] for r in view.rows),
        "tokens": sum(r["prompt_tokens"] + r["completion_tokens"] for r in view.rows),
        "cost": sum(r["cost"] for r in view.rows),
    }


def _savings(
    store: SqlStore,
    cursor: Any,
    view: Overview,
    targets: dict[str, Target],
    reference: Target | None,
) -> None:
    """What the self-hosted requests would have cost on the reference model, less their cost."""
    if reference is None:
        return
    cursor.execute(
        store.sql(
            "SELECT served_model, SUM(prompt_tokens), SUM(completion_tokens), SUM(cost) "
            "FROM usage WHERE created_at >= ? AND served_model IS NOT NULL GROUP BY served_model"
        ),
        (view.since,),
    )
    for model, prompt, completion, cost in cursor.fetchall():
        served = targets.get(model)
        if served is not None and served.self_hosted:
            view.saved += reference.cost(int(prompt), int(completion), 0.0) - float(cost)


def _guards(store: SqlStore, cursor: Any, view: Overview) -> None:
    """(guard, action, count): one per decision recorded in the `guard` column."""
    cursor.execute(
        store.sql("SELECT guard FROM usage WHERE created_at >= ? AND guard IS NOT NULL"),
        (view.since,),
    )
    counts: Counter[tuple[str, str]] = Counter()
    for (text,) in cursor.fetchall():
        try:
            decisions = json.loads(text)
        except ValueError:
            continue
        for decision in decisions if isinstance(decisions, list) else []:
            if isinstance(decision, dict):
                counts[(str(decision.get("guard")), str(decision.get("action")))] += 1
    view.guard_events = [(g, a, n) for (g, a), n in counts.most_common()]


def _recent(store: SqlStore, cursor: Any, view: Overview, limit: int = 20) -> None:
    cursor.execute(
        store.sql(
            "SELECT request_id, created_at, endpoint, COALESCE(served_model, model), target, "
            "status, http_status, prompt_tokens + completion_tokens, cost, latency_ms, team "
            "FROM usage WHERE created_at >= ? ORDER BY created_at DESC LIMIT ?"
        ),
        (view.since, limit),
    )
    names = (
        "request_id", "created_at", "endpoint", "model", "target", "status", "http_status",
        "tokens", "cost", "latency_ms", "team",
    )  # fmt: skip
    view.recent = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
