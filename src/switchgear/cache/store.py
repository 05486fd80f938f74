"""Cached answers in the store (SQLite on one machine, Postgres for replicas: every replica
sees every entry). An entry is one answer's deltas as the provider sent them, before the guards
on the way out (so a pseudonymised answer is restored with the asking trip's own values), keyed
by partition (route and key or team), the request's hash, and for semantic entries the hash of
the conversation before its last user message plus that message's vector."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from switchgear.store.sql import SqlStore


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    answer: bytes  # the deltas, as JSON
    target: str  # the model that answered, `model_id@provider`
    created_at: float


class CacheStore:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def exact(self, partition: str, key: str, newer_than: float) -> CachedAnswer | None:
        rows = self._select(
            "SELECT answer, target, created_at FROM response_cache WHERE partition_key = ? "
            "AND request_hash = ? AND expires_at > ? AND created_at >= ?",
            (partition, key, time.time(), newer_than),
        )
        return _answer(rows[0]) if rows else None

    def nearest(
        self, partition: str, context: str, vector: np.ndarray[Any, Any], newer_than: float
    ) -> tuple[float, CachedAnswer] | None:
        """The most similar entry with the same context (cosine; vectors are unit length)."""
        rows = self._select(
            "SELECT answer, target, created_at, vector FROM response_cache "
            "WHERE partition_key = ? AND context_hash = ? AND expires_at > ? AND created_at >= ? "
            "AND vector IS NOT NULL",
            (partition, context, time.time(), newer_than),
        )
        if not rows:
            return None
        matrix = np.stack([np.frombuffer(base64.b64decode(r[3]), dtype=np.float32) for r in rows])
        scores = matrix @ vector.astype(np.float32)
        best = int(np.argmax(scores))
        return float(scores[best]), _answer(rows[best])

    def put(
        self,
        partition: str,
        key: str,
        context: str | None,
        vector: np.ndarray[Any, Any] | None,
        entry: CachedAnswer,
        ttl_s: float,
        route: str,
        max_entries: int,
    ) -> None:
        packed = None
        if vector is not None:
            packed = base64.b64encode(vector.astype(np.float32).tobytes()).decode()

        def run(cursor: Any) -> None:
            sql = self.store.sql
            cursor.execute(
                sql("DELETE FROM response_cache WHERE partition_key = ? AND request_hash = ?"),
                (partition, key),
            )
            cursor.execute(
                sql(
                    "INSERT INTO response_cache (partition_key, request_hash, route, "
                    "context_hash, vector, answer, target, created_at, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                (partition, key, route, context, packed, entry.answer.decode(), entry.target,
                 entry.created_at, entry.created_at + ttl_s),
            )  # fmt: skip
            trim(cursor, "response_cache", route, max_entries, sql)

        self.store.transaction(run)

    def _select(self, text: str, params: tuple[Any, ...]) -> list[Any]:
        def run(cursor: Any) -> list[Any]:
            cursor.execute(self.store.sql(text), params)
            return list(cursor.fetchall())

        return self.store.transaction(run)  # type: ignore[no-any-return]


def trim(cursor: Any, table: str, route: str, max_entries: int, sql: Callable[[str], str]) -> None:
    """What every cache table keeps after a new entry: past `max_entries` for the route the
    oldest entries go, and expired ones go. `sql` turns `?` into the dialect's placeholder."""
    cursor.execute(
        sql(
            f"SELECT created_at FROM {table} WHERE route = ? "
            "ORDER BY created_at DESC LIMIT 1 OFFSET ?"
        ),
        (route, max_entries),
    )
    oldest_kept = cursor.fetchone()
    if oldest_kept is not None:
        cursor.execute(
            sql(f"DELETE FROM {table} WHERE route = ? AND created_at <= ?"), (route, oldest_kept[0])
        )
    cursor.execute(sql(f"DELETE FROM {table} WHERE expires_at <= ?"), (time.time(),))


def _answer(row: Any) -> CachedAnswer:
    return CachedAnswer(str(row[0]).encode(), str(row[1]), float(row[2]))
