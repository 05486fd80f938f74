"""What the sync engine remembers between runs, in the knowledge database itself (tables of
`knowledge.m004_connectors`): per connector, each document's version token and ACL key, and
the last run's status. Kept next to the index so both move together (a copied SQLite file, one
Postgres database shared by replicas).

It opens a connection of its own to the store's database (the SQLite file in WAL mode, or the
Postgres DSN), so a sync never holds the store's lock while it talks to its tables.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from switchgear.knowledge.records import FileOutcome
from switchgear.knowledge.store import KnowledgeStore

COUNTS = ("added", "updated", "acl_updated", "unchanged", "removed", "failed")


@dataclass(frozen=True, slots=True)
class Known:
    collection: str
    version: str
    acl_key: str


@dataclass(slots=True)
class SyncReport:
    """One run of one connector: what changed, and the error that stopped it, if any."""

    connector: str
    collection: str
    started_at: float
    finished_at: float | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    chunks_embedded: int = 0
    error: str | None = None
    last_success_at: float | None = None
    files: list[FileOutcome] = field(default_factory=list)

    def add(self, outcome: FileOutcome) -> None:
        self.files.append(outcome)
        self.counts[outcome.status] += 1

    @property
    def running(self) -> bool:
        return self.finished_at is None

    def to_dict(self, *, files: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "object": "knowledge.connector_sync",
            "connector": self.connector,
            "collection": self.collection,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "running": self.running,
            **self.counts,
            "chunks_embedded": self.chunks_embedded,
            "error": self.error,
            "last_success_at": self.last_success_at,
        }
        if files:
            body["files"] = [f.to_dict() for f in self.files if f.status != "unchanged"]
        return body


class ConnectorState:
    def __init__(self, db: Any, mark: str) -> None:
        self._db = db
        self._mark = mark
        self._lock = threading.Lock()

    @classmethod
    def of(cls, store: KnowledgeStore) -> ConnectorState:
        """A connection to the database behind `store` (SQLite file or Postgres DSN)."""
        from switchgear.knowledge.sqlite_index import SqliteKnowledgeStore

        if isinstance(store, SqliteKnowledgeStore):
            from switchgear.store.sqlite_connect import connect

            return cls(connect(store.path), "?")
        import psycopg

        dsn: str = getattr(store, "dsn")  # noqa: B009 - the Postgres store's public field
        return cls(psycopg.connect(dsn, autocommit=True), "%s")

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            cursor = self._db.execute(sql.replace("?", self._mark), params)
            rows: list[Any] = cursor.fetchall() if cursor.description else []
            return rows

    def known(self, connector: str) -> dict[str, Known]:
        rows = self._run(
            "SELECT source, collection, version, acl_key FROM knowledge_connector_documents "
            "WHERE connector = ?",
            (connector,),
        )
        return {row[0]: Known(row[1], row[2], row[3]) for row in rows}

    def remember(
        self, connector: str, collection: str, source: str, version: str, acl_key: str
    ) -> None:
        self._run(
            "INSERT INTO knowledge_connector_documents "
            "(connector, source, collection, version, acl_key) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (connector, source) DO UPDATE SET collection = excluded.collection, "
            "version = excluded.version, acl_key = excluded.acl_key",
            (connector, source, collection, version, acl_key),
        )

    def forget(self, connector: str, source: str) -> None:
        self._run(
            "DELETE FROM knowledge_connector_documents WHERE connector = ? AND source = ?",
            (connector, source),
        )

    def save(self, report: SyncReport) -> None:
        """The run's status row; `last_success_at` survives failed runs."""
        counts = tuple(report.counts[c] for c in COUNTS)
        self._run(
            "INSERT INTO knowledge_connector_status (connector, collection, started_at, "
            "finished_at, added, updated, acl_updated, unchanged, removed, failed, "
            "chunks_embedded, error, last_success_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (connector) DO UPDATE SET collection = excluded.collection, "
            "started_at = excluded.started_at, finished_at = excluded.finished_at, "
            "added = excluded.added, updated = excluded.updated, "
            "acl_updated = excluded.acl_updated, unchanged = excluded.unchanged, "
            "removed = excluded.removed, failed = excluded.failed, "
            "chunks_embedded = excluded.chunks_embedded, error = excluded.error, "
            "last_success_at = coalesce(excluded.last_success_at, "
            "knowledge_connector_status.last_success_at)",
            (
                report.connector,
                report.collection,
                report.started_at,
                report.finished_at,
                *counts,
                report.chunks_embedded,
                report.error,
                report.last_success_at,
            ),
        )

    def statuses(self) -> dict[str, SyncReport]:
        """The last run of every connector that ran (files are not kept)."""
        rows = self._run(
            "SELECT connector, collection, started_at, finished_at, "
            + ", ".join(COUNTS)
            + ", chunks_embedded, error, last_success_at FROM knowledge_connector_status"
        )
        found = {}
        for row in rows:
            counts = dict(zip(COUNTS, (int(n) for n in row[4:10]), strict=True))
            found[row[0]] = SyncReport(
                row[0], row[1], row[2], row[3], counts, int(row[10]), row[11], row[12]
            )
        return found

    def close(self) -> None:
        self._db.close()
