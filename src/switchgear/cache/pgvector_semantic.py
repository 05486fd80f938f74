"""Semantic cache entries in Postgres with pgvector: the nearest entry of a partition and
conversation is found by `ORDER BY embedding <=> query LIMIT 1` inside Postgres, instead of
reading every candidate vector out and comparing in Python as the plain store does.

Lookups filter on (partition, context) first, through a B-tree index, and compare exactly
among those rows: one key's entries for one conversation prefix are few enough that an
approximate (HNSW) index would only add error. The table has its own migration set
(`cache_pgvector.*`), since it exists only on Postgres with the `vector` extension.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from switchgear.cache.store import CachedAnswer, trim
from switchgear.store.migrate import apply_migrations, sql_migration
from switchgear.store.sql import SqlStore

_MIGRATIONS = [
    sql_migration(
        "cache_pgvector.m001_table",
        "CREATE EXTENSION IF NOT EXISTS vector",
        """
        CREATE TABLE response_cache_vectors (
            partition_key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            route TEXT NOT NULL,
            context_hash TEXT NOT NULL,
            embedding vector NOT NULL,
            answer TEXT NOT NULL,
            target TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL,
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


def pgvector_available(store: SqlStore) -> bool:
    """Whether this Postgres has the `vector` extension to install (or installed)."""

    def run(cursor: Any) -> bool:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        return cursor.fetchone() is not None

    return store.dialect.name == "postgres" and bool(store.transaction(run))


class PgvectorSemanticCache:
    def __init__(self, store: SqlStore) -> None:
        if store.dialect.name != "postgres":
            raise ValueError("response_cache.semantic: pgvector needs a Postgres database_url")
        self.store = store
        apply_migrations(store.transaction, _MIGRATIONS, "postgres")

    def nearest(
        self, partition: str, context: str, vector: np.ndarray[Any, Any], newer_than: float
    ) -> tuple[float, CachedAnswer] | None:
        query = _vector_text(vector)

        def run(cursor: Any) -> Any:
            cursor.execute(
                "SELECT answer, target, created_at, 1 - (embedding <=> %s::vector) "
                "FROM response_cache_vectors WHERE partition_key = %s AND context_hash = %s "
                "AND expires_at > %s AND created_at >= %s "
                "ORDER BY embedding <=> %s::vector LIMIT 1",
                (query, partition, context, time.time(), newer_than, query),
            )
            return cursor.fetchone()

        row = self.store.transaction(run)
        if row is None:
            return None
        return float(row[3]), CachedAnswer(str(row[0]).encode(), str(row[1]), float(row[2]))

    def put(
        self, partition: str, key: str, context: str, vector: np.ndarray[Any, Any],
        entry: CachedAnswer, ttl_s: float, route: str, max_entries: int,
    ) -> None:  # fmt: skip
        def run(cursor: Any) -> None:
            cursor.execute(
                "INSERT INTO response_cache_vectors (partition_key, request_hash, route, "
                "context_hash, embedding, answer, target, created_at, expires_at) "
                "VALUES (%s, %s, %s, %s, %s::vector, %s, %s, %s, %s) "
                "ON CONFLICT (partition_key, request_hash) DO UPDATE SET "
                "embedding = EXCLUDED.embedding, answer = EXCLUDED.answer, "
                "target = EXCLUDED.target, created_at = EXCLUDED.created_at, "
                "expires_at = EXCLUDED.expires_at, context_hash = EXCLUDED.context_hash",
                (partition, key, route, context, _vector_text(vector), entry.answer.decode(),
                 entry.target, entry.created_at, entry.created_at + ttl_s),
            )  # fmt: skip
            trim(cursor, "response_cache_vectors", route, max_entries, self.store.sql)

        self.store.transaction(run)


def _vector_text(vector: np.ndarray[Any, Any]) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(vector, dtype=np.float32)) + "]"
