"""Hourly usage rollups, so the overview's day and month windows read thousands of rows, not
millions. Filled lazily by the page in audit-chain order: every usage row is committed with
its audit entry in one transaction, and the chain's `seq` only grows, so "entries after the
last seq rolled" finds each row exactly once, on SQLite and Postgres, across replicas (the
head row is locked while rolling). Latency percentiles come from a log-spaced histogram
(interpolated within a bin), so they are estimates; the hour window reads raw rows instead.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from switchgear.store.sql import SqlStore

BUCKET_S = 3600
# Upper edges (ms) of the latency histogram's bins; the last bin is open-ended.
EDGES = (
    5, 10, 20, 35, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000,
    7500, 10_000, 15_000, 20_000, 30_000, 60_000, 120_000,
)  # fmt: skip
BINS = len(EDGES) + 1
CHUNK = 100_000  # rows rolled per transaction, so a first catch-up never holds a long lock


@dataclass
class Cell:
    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    latency_sum: float = 0.0
    ttft_sum: float = 0.0
    ttft_count: int = 0
    hist: list[int] = field(default_factory=lambda: [0] * BINS)

    def percentile(self, q: float) -> float | None:
        """The latency at rank q, interpolated linearly inside its histogram bin."""
        if self.requests == 0:
            return None
        rank, seen = q * self.requests, 0
        for index, count in enumerate(self.hist):
            if count and seen + count >= rank:
                low = 0.0 if index == 0 else float(EDGES[index - 1])
                high = float(EDGES[index]) if index < len(EDGES) else low * 2
                return low + (high - low) * max(0.0, rank - seen) / count
            seen += count
        return float(EDGES[-1])

    def values(self) -> tuple[Any, ...]:
        return (
            self.requests, self.errors, self.prompt_tokens, self.completion_tokens, self.cost,
            self.latency_sum, self.ttft_sum, self.ttft_count, *self.hist,
        )  # fmt: skip


Key = tuple[float, str, str, str, str]  # bucket, model, route, team, app ('' for none)
_SUMS = [
    "requests", "errors", "prompt_tokens", "completion_tokens", "cost", "latency_sum",
    "ttft_sum", "ttft_count", *(f"h{n}" for n in range(BINS)),
]  # fmt: skip


def _add_row(cells: dict[Key, Cell], guards: Counter[tuple[float, str, str]], row: Any) -> None:
    created, model, route, team, app, status, prompt, completion, cost, latency, ttft, guard = row
    bucket = float(int(created // BUCKET_S) * BUCKET_S)
    cell = cells.setdefault((bucket, model, route or "", team or "", app or ""), Cell())
    cell.requests += 1
    cell.errors += status != "ok"
    cell.prompt_tokens += int(prompt)
    cell.completion_tokens += int(completion)
    cell.cost += float(cost)
    cell.latency_sum += float(latency)
    cell.hist[bisect.bisect_left(EDGES, float(latency))] += 1
    if ttft is not None:
        cell.ttft_sum += float(ttft)
        cell.ttft_count += 1
    if guard:
        try:
            decisions = json.loads(guard)
        except ValueError:
            decisions = []
        for decision in decisions if isinstance(decisions, list) else []:
            if isinstance(decision, dict):
                guards[(bucket, str(decision.get("guard")), str(decision.get("action")))] += 1


def roll_up(store: SqlStore) -> int:
    """Rolls the usage rows committed since the last call; how many it rolled."""
    total = 0
    while True:
        rolled: int = store.transaction(lambda cursor: _roll_chunk(store, cursor))
        total += rolled
        if rolled < CHUNK:
            return total


def _roll_chunk(store: SqlStore, cursor: Any) -> int:
    cursor.execute("SELECT seq FROM console_rollup_head WHERE id = 1" + store.dialect.lock_head)
    head = int(cursor.fetchone()[0])
    cursor.execute(
        store.sql(
            "SELECT a.seq, u.created_at, COALESCE(u.served_model, u.model), u.route, u.team, "
            "u.app, u.status, u.prompt_tokens, u.completion_tokens, u.cost, u.latency_ms, "
            "u.ttft_ms, u.guard FROM audit a JOIN usage u ON u.request_id = a.subject "
            "WHERE a.seq > ? AND a.kind = 'request' ORDER BY a.seq LIMIT ?"
        ),
        (head, CHUNK),
    )
    rows = cursor.fetchall()
    if not rows:
        return 0
    cells: dict[Key, Cell] = {}
    guards: Counter[tuple[float, str, str]] = Counter()
    for row in rows:
        _add_row(cells, guards, row[1:])
    adds = ", ".join(f"{c} = console_rollup.{c} + excluded.{c}" for c in _SUMS)
    marks = ", ".join("?" for _ in range(5 + len(_SUMS)))
    cursor.executemany(
        store.sql(
            f"INSERT INTO console_rollup VALUES ({marks}) "
            f"ON CONFLICT (bucket, model, route, team, app) DO UPDATE SET {adds}"
        ),
        [(*key, *cell.values()) for key, cell in cells.items()],
    )
    cursor.executemany(
        store.sql(
            "INSERT INTO console_rollup_guards VALUES (?, ?, ?, ?) "
            "ON CONFLICT (bucket, guard, action) DO UPDATE SET "
            "count = console_rollup_guards.count + excluded.count"
        ),
        [(*key, n) for key, n in guards.items()],
    )
    cursor.execute(
        store.sql("UPDATE console_rollup_head SET seq = ? WHERE id = 1"), (int(rows[-1][0]),)
    )
    return len(rows)


def _summed_cell(sums: Any) -> Cell:
    n = [int(value) for value in sums]
    cost, latency, ttft = (float(value) for value in sums[4:7])
    return Cell(n[0], n[1], n[2], n[3], cost, latency, ttft, n[7], n[8:])


def read_rollups(store: SqlStore, since: float, group: str) -> dict[str, Any]:
    """Per-hour series, per-group cells, per-model sums and guard counts since `since`,
    summed by the database."""
    sums = ", ".join(f"SUM({c})" for c in _SUMS)

    def run(cursor: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        cursor.execute(
            store.sql(
                "SELECT bucket, SUM(requests), SUM(errors), SUM(prompt_tokens + "
                "completion_tokens), SUM(cost), SUM(latency_sum) FROM console_rollup "
                "WHERE bucket >= ? GROUP BY bucket"
            ),
            (since,),
        )
        found["hours"] = list(cursor.fetchall())
        for name, column in (("groups", group), ("models", "model")):
            cursor.execute(
                store.sql(
                    f"SELECT {column}, {sums} FROM console_rollup WHERE bucket >= ? "
                    f"GROUP BY {column}"
                ),
                (since,),
            )
            found[name] = {row[0]: _summed_cell(row[1:]) for row in cursor.fetchall()}
        cursor.execute(
            store.sql(
                "SELECT guard, action, SUM(count) FROM console_rollup_guards WHERE bucket >= ? "
                "GROUP BY guard, action ORDER BY 3 DESC"
            ),
            (since,),
        )
        found["guards"] = [(g, a, int(n)) for g, a, n in cursor.fetchall()]
        return found

    result: dict[str, Any] = store.transaction(run)
    return result
