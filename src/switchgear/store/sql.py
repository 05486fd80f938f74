"""One SQL implementation of the store interfaces, for SQLite and Postgres alike.

The differences (placeholders, row locking, how to open a connection) live in `Dialect`;
everything else is shared, so both backends run the same queries and the same tests.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from switchgear.store.audit_chain import entry_hash
from switchgear.store.base import (
    AdminEvent,
    AttemptRecord,
    AuditRow,
    KeyRow,
    LedgerEntry,
    UsageRecord,
    UsageSummaryRow,
)
from switchgear.store.migrate import apply_migrations
from switchgear.store.migrations import MIGRATIONS


@dataclass(frozen=True)
class Dialect:
    name: str
    placeholder: str  # "?" or "%s"
    lock_head: str  # suffix that locks the chain head row for the transaction


SQLITE = Dialect("sqlite", "?", "")
POSTGRES = Dialect("postgres", "%s", " FOR UPDATE")

# `attempts` and `content` live in tables of their own.
_USAGE_COLUMNS = [f.name for f in fields(UsageRecord) if f.name not in ("attempts", "content")]
_SPEND_COLUMNS = {"key_id", "team", "app"}


class SqlStore:
    def __init__(self, connection: Any, dialect: Dialect) -> None:
        self._db = connection
        self.dialect = dialect
        # One connection, shared by the ledger's writer thread and readers.
        self._lock = threading.Lock()
        self._migrate()

    # -- plumbing -------------------------------------------------------------------------

    def transaction(self, work: Any) -> Any:
        """Runs `work(cursor)` in one transaction, with this dialect's placeholders in
        `self.sql(...)`: for stores of other concerns kept in the same database."""
        return self._transaction(work)

    def sql(self, text: str) -> str:
        return self._sql(text)

    def _sql(self, text: str) -> str:
        return text if self.dialect.placeholder == "?" else text.replace("?", "%s")

    def _transaction(self, work: Any) -> Any:
        with self._lock:
            cursor = self._db.cursor()
            try:
                if self.dialect.name == "sqlite":
                    cursor.execute("BEGIN IMMEDIATE")
                result = work(cursor)
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()
            return result

    def _query(self, text: str, params: Sequence[Any] = ()) -> list[Any]:
        def run(cursor: Any) -> list[Any]:
            cursor.execute(self._sql(text), tuple(params))
            return list(cursor.fetchall())

        return self._transaction(run)  # type: ignore[no-any-return]

    def _migrate(self) -> None:
        apply_migrations(
            self._transaction,
            MIGRATIONS,
            "postgres" if self.dialect.name == "postgres" else "sqlite",
            legacy_version_table="schema_version",
        )

    def secret(self, name: str) -> str:
        """A random secret generated once for this deployment and shared by every replica."""
        candidate = secrets.token_hex(32)

        def run(cursor: Any) -> str:
            cursor.execute(
                self._sql(
                    "INSERT INTO gateway_secrets (name, value) VALUES (?, ?) "
                    "ON CONFLICT (name) DO NOTHING"
                ),
                (name, candidate),
            )
            cursor.execute(self._sql("SELECT value FROM gateway_secrets WHERE name = ?"), (name,))
            return str(cursor.fetchone()[0])

        return self._transaction(run)  # type: ignore[no-any-return]

    # -- ledger ---------------------------------------------------------------------------

    def write_ledger(self, entries: Sequence[LedgerEntry]) -> None:
        if entries:
            self._transaction(lambda cursor: self._write_entries(cursor, entries))

    def _write_entries(self, cursor: Any, entries: Sequence[LedgerEntry]) -> None:
        cursor.execute("SELECT seq, hash FROM audit_head WHERE id = 1" + self.dialect.lock_head)
        seq, prev = cursor.fetchone()
        usage = [e for e in entries if isinstance(e, UsageRecord)]
        if usage:
            names = ", ".join(f'"{c}"' for c in _USAGE_COLUMNS)
            marks = ", ".join("?" for _ in _USAGE_COLUMNS)
            cursor.executemany(
                self._sql(f"INSERT INTO usage ({names}) VALUES ({marks})"),
                [tuple(_column_value(r, c) for c in _USAGE_COLUMNS) for r in usage],
            )
            attempts = [
                (r.request_id, n, a.target, a.status, a.http_status, a.error_code, a.latency_ms)
                for r in usage
                for n, a in enumerate(r.attempts, start=1)
            ]
            if attempts:
                cursor.executemany(
                    self._sql("INSERT INTO attempts VALUES (?, ?, ?, ?, ?, ?, ?)"), attempts
                )
            contents = [
                (r.request_id, r.created_at, c.expires_at, r.route or r.model, c.request, c.answer)
                for r in usage
                if (c := r.content) is not None
            ]
            if contents:
                cursor.executemany(
                    self._sql("INSERT INTO stored_content VALUES (?, ?, ?, ?, ?, ?)"), contents
                )
        audit = []
        for entry in entries:
            seq += 1
            kind, actor, action, subject, detail = _audit_fields(entry)
            digest = entry_hash(prev, seq, entry.created_at, kind, actor, action, subject, detail)
            audit.append(
                (seq, entry.created_at, kind, actor, action, subject, detail, prev, digest)
            )
            prev = digest
        cursor.executemany(self._sql("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"), audit)
        cursor.execute(
            self._sql("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1"), (seq, prev)
        )

    def write_audited(self, work: Callable[[Any], Sequence[AdminEvent]]) -> None:
        """Runs `work(cursor)` and chains the audit entries it returns, in one transaction:
        a change to another concern's table is never on disk without its audit entry."""

        def run(cursor: Any) -> None:
            events = work(cursor)
            if events:
                self._write_entries(cursor, events)

        self._transaction(run)

    def read_usage(self, limit: int = 100) -> list[UsageRecord]:
        names = ", ".join(f'"{c}"' for c in _USAGE_COLUMNS)
        rows = self._query(f"SELECT {names} FROM usage ORDER BY created_at DESC LIMIT ?", (limit,))
        return [_to_record(row) for row in rows]

    def usage_rows(self, since: float | None, until: float | None) -> list[UsageRecord]:
        names = ", ".join(f'"{c}"' for c in _USAGE_COLUMNS)
        rows = self._query(
            f"SELECT {names} FROM usage WHERE created_at >= ? AND created_at < ? "
            "ORDER BY created_at",
            (since or 0.0, until or 1e18),
        )
        return [_to_record(row) for row in rows]

    def read_attempts(self, request_id: str) -> list[AttemptRecord]:
        rows = self._query(
            "SELECT target, status, http_status, error_code, latency_ms FROM attempts "
            "WHERE request_id = ? ORDER BY attempt",
            (request_id,),
        )
        return [AttemptRecord(*row) for row in rows]

    def summarize_usage(self, since: float | None = None) -> list[UsageSummaryRow]:
        rows = self._query(
            """
            SELECT COALESCE(served_model, model), provider, status, COUNT(*),
                   SUM(prompt_tokens), SUM(completion_tokens), AVG(latency_ms), AVG(ttft_ms)
            FROM usage WHERE created_at >= ?
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """,
            (since or 0.0,),
        )
        return [
            UsageSummaryRow(
                r[0],
                r[1],
                r[2],
                int(r[3]),
                int(r[4]),
                int(r[5]),
                float(r[6]),
                None if r[7] is None else float(r[7]),
            )
            for r in rows
        ]

    def spend_since(self, column: str, value: str, since: float) -> float:
        if column not in _SPEND_COLUMNS:
            raise ValueError(column)
        rows = self._query(
            f"SELECT COALESCE(SUM(cost), 0) FROM usage WHERE {column} = ? AND created_at >= ?",
            (value, since),
        )
        return float(rows[0][0])

    def read_audit(self) -> list[AuditRow]:
        rows = self._query("SELECT * FROM audit ORDER BY seq")
        return [AuditRow(int(r[0]), float(r[1]), *r[2:]) for r in rows]

    # -- keys -----------------------------------------------------------------------------

    def save_key(self, key: KeyRow) -> None:
        values = (
            key.id,
            key.prefix,
            key.secret_hash,
            key.name,
            key.team,
            key.app,
            json.dumps(list(key.allowed_models)),
            key.guard_policy,
            json.dumps(list(key.tags)),
            key.expires_at,
            json.dumps(key.metadata),
            json.dumps(key.limits),
            json.dumps(key.budgets),
            key.created_at,
            key.updated_at,
            key.revoked_at,
        )

        def run(cursor: Any) -> None:
            cursor.execute(self._sql("DELETE FROM api_keys WHERE id = ?"), (key.id,))
            marks = ", ".join("?" for _ in values)
            cursor.execute(self._sql(f"INSERT INTO api_keys VALUES ({marks})"), values)

        self._transaction(run)

    def list_keys(self) -> list[KeyRow]:
        rows = self._query("SELECT * FROM api_keys ORDER BY created_at")
        return [
            KeyRow(
                id=r[0],
                prefix=r[1],
                secret_hash=r[2],
                name=r[3],
                team=r[4],
                app=r[5],
                allowed_models=tuple(json.loads(r[6])),
                guard_policy=r[7],
                tags=tuple(json.loads(r[8])),
                expires_at=r[9],
                metadata=json.loads(r[10]),
                limits=json.loads(r[11]),
                budgets=json.loads(r[12]),
                created_at=r[13],
                updated_at=r[14],
                revoked_at=r[15],
            )
            for r in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _column_value(record: UsageRecord, column: str) -> Any:
    value = getattr(record, column)
    return int(value) if column == "stream" else value


def _to_record(row: Sequence[Any]) -> UsageRecord:
    values = dict(zip(_USAGE_COLUMNS, row, strict=True))
    values["stream"] = bool(values["stream"])
    return UsageRecord(**values)


def _audit_fields(entry: LedgerEntry) -> tuple[str, str, str, str, str]:
    if isinstance(entry, AdminEvent):
        detail = json.dumps(entry.detail, sort_keys=True, separators=(",", ":"))
        return "admin", entry.actor, entry.action, entry.subject, detail
    record = {
        "model": entry.model,
        "route": entry.route,
        "target": entry.target,
        "attempts": [[a.target, a.status, a.http_status] for a in entry.attempts],
        "status": entry.status,
        "http_status": entry.http_status,
        "prompt_tokens": entry.prompt_tokens,
        "completion_tokens": entry.completion_tokens,
        "cost": entry.cost,
        "guard": entry.guard,
        "team": entry.team,
        "app": entry.app,
        "user": entry.user,
        "stream": entry.stream,
    }
    if entry.template is not None:  # absent otherwise, so older entries keep their shape
        record["template"] = entry.template
    detail = json.dumps(record, sort_keys=True, separators=(",", ":"))
    return "request", entry.key_id or "anonymous", entry.endpoint, entry.request_id, detail
