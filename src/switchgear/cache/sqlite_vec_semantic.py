"""Semantic cache entries on one machine: a SQLite file of their own with sqlite-vec loaded,
so the nearest entry is found by `vec_distance_cosine` inside SQLite rather than by reading
every candidate vector into Python (the plain store's way).

Its own file (`response_cache.db` next to the gateway's database) because the gateway's store
connection does not load extensions. Candidates are the entries of one partition and
conversation prefix (a B-tree index), compared exactly: few enough that an approximate index
would only add error.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from switchgear.cache.store import CachedAnswer, trim
from switchgear.store.migrate import apply_migrations, sql_migration, sqlite_transaction
from switchgear.store.sqlite_connect import connect

_MIGRATIONS = [
    sql_migration(
        "cache_sqlite_vec.m001_table",
        """
        CREATE TABLE response_cache_vectors (
            partition_key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            route TEXT NOT NULL,
            context_hash TEXT NOT NULL,
            embedding BLOB NOT NULL,
            answer TEXT NOT NULL,
            target TEXT NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            PRIMARY KEY (partition_key, request_hash)
        )
        """,
        "CREATE INDEX response_cache_vectors_context "
        "ON response_cache_vectors (partition_key, context_hash)",
        "CREATE INDEX response_cache_vectors_route ON response_cache_vectors (route, created_at)",
        # Each keep drops expired entries: without this, a scan of every entry per keep.
        "CREATE INDEX response_cache_vectors_expires ON response_cache_vectors (expires_at)",
    )
]


class SqliteVecSemanticCache:
    def __init__(self, path: Path) -> None:
        self._db: Any = connect(path, vectors=True)
        self._lock = threading.Lock()  # one connection, used from worker threads
        self._transaction = sqlite_transaction(self._db)
        apply_migrations(self._transaction, _MIGRATIONS, "sqlite")

    def nearest(
        self, partition: str, context: str, vector: np.ndarray[Any, Any], newer_than: float
    ) -> tuple[float, CachedAnswer] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT answer, target, created_at, vec_distance_cosine(embedding, ?) AS d "
                "FROM response_cache_vectors WHERE partition_key = ? AND context_hash = ? "
                "AND expires_at > ? AND created_at >= ? ORDER BY d LIMIT 1",
                (_blob(vector), partition, context, time.time(), newer_than),
            ).fetchone()
        if row is None:
            return None
        return 1.0 - float(row[3]), CachedAnswer(str(row[0]).encode(), str(row[1]), float(row[2]))

    def put(
        self, partition: str, key: str, context: str, vector: np.ndarray[Any, Any],
        entry: CachedAnswer, ttl_s: float, route: str, max_entries: int,
    ) -> None:  # fmt: skip
        def run(cursor: Any) -> None:
            cursor.execute(
                "INSERT OR REPLACE INTO response_cache_vectors (partition_key, request_hash, "
                "route, context_hash, embedding, answer, target, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (partition, key, route, context, _blob(vector), entry.answer.decode(),
                 entry.target, entry.created_at, entry.created_at + ttl_s),
            )  # fmt: skip
            trim(cursor, "response_cache_vectors", route, max_entries, lambda text: text)

        with self._lock:
            self._transaction(run)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _blob(vector: np.ndarray[Any, Any]) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()
