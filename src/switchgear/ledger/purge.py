"""`switchgear purge`: deletes stored request text past its `expires_at`, and usage rows
older than their route's `expire_days`; the counts go to the audit log in the same
transaction. The audit log itself is never purged (its hash chain must stay whole)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from switchgear.ledger.retention import DAY_S, HasRetention, policies
from switchgear.store.base import AdminEvent
from switchgear.store.sql import SqlStore


@dataclass(slots=True)
class PurgeCounts:
    content: int = 0  # stored_content rows past expires_at
    usage: dict[str, int] = field(default_factory=dict)  # route -> usage rows past expire_days

    def as_dict(self) -> dict[str, Any]:
        return {"content": self.content, "usage": dict(self.usage)}


def purge(
    store: SqlStore,
    routes: Mapping[str, HasRetention],
    dry_run: bool = False,
    now: float | None = None,
) -> PurgeCounts:
    """What is (or, with `dry_run`, would be) deleted; a real purge is audited."""
    moment = time.time() if now is None else now
    cutoffs = {
        name: moment - policy.expire_days * DAY_S
        for name, policy in policies(routes).items()
        if policy.expire_days is not None
    }
    counts = PurgeCounts()
    sql = store.sql

    def work(cursor: Any) -> list[AdminEvent]:
        counts.content = _count(cursor, sql("FROM stored_content WHERE expires_at < ?"), (moment,))
        for route, cutoff in cutoffs.items():
            where = sql("FROM usage WHERE route = ? AND created_at < ?")
            counts.usage[route] = _count(cursor, where, (route, cutoff))
        if dry_run:
            return []
        cursor.execute(sql("DELETE FROM stored_content WHERE expires_at < ?"), (moment,))
        for route, cutoff in cutoffs.items():
            old = "SELECT request_id FROM usage WHERE route = ? AND created_at < ?"
            cursor.execute(
                sql(f"DELETE FROM attempts WHERE request_id IN ({old})"), (route, cutoff)
            )
            cursor.execute(
                sql(f"DELETE FROM stored_content WHERE request_id IN ({old})"), (route, cutoff)
            )
            cursor.execute(
                sql("DELETE FROM usage WHERE route = ? AND created_at < ?"), (route, cutoff)
            )
        return [AdminEvent(moment, "cli", "retention.purge", "ledger", counts.as_dict())]

    store.write_audited(work)
    return counts


def _count(cursor: Any, where: str, params: tuple[Any, ...]) -> int:
    cursor.execute(f"SELECT COUNT(*) {where}", params)
    return int(cursor.fetchone()[0])


def format_counts(counts: PurgeCounts, dry_run: bool) -> str:
    verb = "would delete" if dry_run else "deleted"
    lines = [f"{verb} {counts.content} stored request/answer texts past their expiry"]
    for route, n in sorted(counts.usage.items()):
        lines.append(f"{verb} {n} usage rows of route `{route}` older than its expire_days")
    if not counts.usage:
        lines.append("no route sets retention.expire_days: usage rows are kept")
    return "\n".join(lines)
