"""SQLite (WAL) usage store: the embedded default."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from switchgear.store.base import AttemptRecord, UsageRecord, UsageSummaryRow
from switchgear.store.sqlite_migrations import migrate

_COLUMNS = [f.name for f in fields(UsageRecord) if f.name != "attempts"]
_INSERT_ATTEMPT = (
    "INSERT OR REPLACE INTO attempts (request_id, attempt, target, status, http_status, "
    "error_code, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_INSERT = (
    f"INSERT OR REPLACE INTO usage ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _COLUMNS)})"
)


class SqliteUsageStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # One connection shared by the ledger's writer thread and readers, serialised by a lock.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        migrate(self._db)

    def write_usage(self, records: Sequence[UsageRecord]) -> None:
        if not records:
            return
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    _INSERT, [tuple(getattr(r, c) for c in _COLUMNS) for r in records]
                )
                self._db.executemany(
                    _INSERT_ATTEMPT,
                    [
                        (
                            r.request_id,
                            n,
                            a.target,
                            a.status,
                            a.http_status,
                            a.error_code,
                            a.latency_ms,
                        )
                        for r in records
                        for n, a in enumerate(r.attempts, start=1)
                    ],
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def read_usage(self, limit: int = 100) -> list[UsageRecord]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM usage ORDER BY created_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [_to_record(row) for row in rows]

    def read_attempts(self, request_id: str) -> list[AttemptRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT target, status, http_status, error_code, latency_ms FROM attempts "
                "WHERE request_id = ? ORDER BY attempt",
                (request_id,),
            ).fetchall()
        return [AttemptRecord(*row) for row in rows]

    def summarize_usage(self, since: float | None = None) -> list[UsageSummaryRow]:
        with self._lock:
            rows = self._db.execute(
                """
                SELECT COALESCE(served_model, model), provider, status, COUNT(*),
                       SUM(prompt_tokens), SUM(completion_tokens), AVG(latency_ms), AVG(ttft_ms)
                FROM usage WHERE created_at >= ?
                GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                """,
                (since or 0.0,),
            ).fetchall()
        return [UsageSummaryRow(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _to_record(row: tuple[object, ...]) -> UsageRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["stream"] = bool(values["stream"])
    return UsageRecord(**values)  # type: ignore[arg-type]
