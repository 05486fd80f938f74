"""Which backend keeps which entries (`response_cache:` at the top level; see config.py).

`ResponseCache` is what the cache stage talks to: a `LayeredCache` that sends exact entries to
Redis or the gateway's own table, and semantic ones to pgvector, sqlite-vec or that table; or,
when both stay in the table (`store`), the table itself (`CacheStore`, one row per entry).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from switchgear.cache.config import CacheBackendsConfig
from switchgear.cache.store import CachedAnswer, CacheStore
from switchgear.store.sql import SqlStore

log = logging.getLogger("switchgear.cache")


class ResponseCache(Protocol):
    def exact(self, partition: str, key: str, newer_than: float) -> CachedAnswer | None: ...

    def nearest(
        self, partition: str, context: str, vector: np.ndarray[Any, Any], newer_than: float
    ) -> tuple[float, CachedAnswer] | None: ...

    def put(
        self, partition: str, key: str, context: str | None, vector: np.ndarray[Any, Any] | None,
        entry: CachedAnswer, ttl_s: float, route: str, max_entries: int,
    ) -> None: ...  # fmt: skip


class ExactBackend(Protocol):
    def exact(self, partition: str, key: str, newer_than: float) -> CachedAnswer | None: ...

    def put(
        self, partition: str, key: str, entry: CachedAnswer, ttl_s: float, route: str,
        max_entries: int,
    ) -> None: ...  # fmt: skip


class SemanticBackend(Protocol):
    def nearest(
        self, partition: str, context: str, vector: np.ndarray[Any, Any], newer_than: float
    ) -> tuple[float, CachedAnswer] | None: ...

    def put(
        self, partition: str, key: str, context: str, vector: np.ndarray[Any, Any],
        entry: CachedAnswer, ttl_s: float, route: str, max_entries: int,
    ) -> None: ...  # fmt: skip


class _StoreExact:
    """The store's table holding exact entries only (no context, no vector)."""

    def __init__(self, store: CacheStore) -> None:
        self.store = store

    def exact(self, partition: str, key: str, newer_than: float) -> CachedAnswer | None:
        return self.store.exact(partition, key, newer_than)

    def put(
        self, partition: str, key: str, entry: CachedAnswer, ttl_s: float, route: str,
        max_entries: int,
    ) -> None:  # fmt: skip
        self.store.put(partition, key, None, None, entry, ttl_s, route, max_entries)


class _StoreSemantic:
    def __init__(self, store: CacheStore) -> None:
        self.store = store

    def nearest(
        self, partition: str, context: str, vector: np.ndarray[Any, Any], newer_than: float
    ) -> tuple[float, CachedAnswer] | None:
        return self.store.nearest(partition, context, vector, newer_than)

    def put(
        self, partition: str, key: str, context: str, vector: np.ndarray[Any, Any],
        entry: CachedAnswer, ttl_s: float, route: str, max_entries: int,
    ) -> None:  # fmt: skip
        self.store.put(partition, key, context, vector, entry, ttl_s, route, max_entries)


class LayeredCache:
    """Exact entries in one backend, semantic entries in another. A semantic entry is kept in
    both, so the same request asked again is an exact hit without embedding anything."""

    def __init__(self, exact: ExactBackend, semantic: SemanticBackend) -> None:
        self.exact_backend = exact
        self.semantic_backend = semantic

    def exact(self, partition: str, key: str, newer_than: float) -> CachedAnswer | None:
        return self.exact_backend.exact(partition, key, newer_than)

    def close(self) -> None:
        for backend in (self.exact_backend, self.semantic_backend):
            close = getattr(backend, "close", None)
            if close is not None and not isinstance(backend, _StoreExact | _StoreSemantic):
                close()

    def nearest(
        self, partition: str, context: str, vector: np.ndarray[Any, Any], newer_than: float
    ) -> tuple[float, CachedAnswer] | None:
        return self.semantic_backend.nearest(partition, context, vector, newer_than)

    def put(
        self, partition: str, key: str, context: str | None, vector: np.ndarray[Any, Any] | None,
        entry: CachedAnswer, ttl_s: float, route: str, max_entries: int,
    ) -> None:  # fmt: skip
        self.exact_backend.put(partition, key, entry, ttl_s, route, max_entries)
        if context is not None and vector is not None:
            self.semantic_backend.put(
                partition, key, context, vector, entry, ttl_s, route, max_entries
            )


def open_cache(
    config: CacheBackendsConfig,
    store: SqlStore,
    redis_url: str | None,
    data_dir: Path,
    *,
    semantic: bool = True,
) -> ResponseCache:
    """The backends `config` asks for; `auto` takes Redis where a `redis_url` is set, and
    pgvector on Postgres that has it, sqlite-vec next to a SQLite store."""
    table = CacheStore(store)
    exact: ExactBackend = _StoreExact(table)
    if config.exact == "redis" or (config.exact == "auto" and redis_url):
        if not redis_url:
            raise ValueError(
                "response_cache.exact: redis needs redis_url (or SWITCHGEAR_REDIS_URL)"
            )
        from switchgear.cache.redis_exact import RedisExactCache

        exact = RedisExactCache(redis_url)
    vectors: SemanticBackend = _StoreSemantic(table)
    if semantic:
        vectors = _vector_backend(config, store, data_dir) or vectors
    if isinstance(exact, _StoreExact) and isinstance(vectors, _StoreSemantic):
        return table
    return LayeredCache(exact, vectors)


def _vector_backend(
    config: CacheBackendsConfig, store: SqlStore, data_dir: Path
) -> SemanticBackend | None:
    """pgvector or sqlite-vec as configured; with `auto`, one that cannot be opened (no
    right to create the extension, no extension loading in this SQLite) leaves the table."""
    try:
        if config.semantic == "pgvector" or (config.semantic == "auto" and _has_pgvector(store)):
            from switchgear.cache.pgvector_semantic import PgvectorSemanticCache

            return PgvectorSemanticCache(store)
        if config.semantic == "sqlite-vec" or (
            config.semantic == "auto" and store.dialect.name == "sqlite"
        ):
            from switchgear.cache.sqlite_vec_semantic import SqliteVecSemanticCache

            return SqliteVecSemanticCache(data_dir / "response_cache.db")
    except Exception:
        if config.semantic != "auto":
            raise
        log.warning("no vector backend for the cache; semantic entries stay in the table")
    return None


def _has_pgvector(store: SqlStore) -> bool:
    if store.dialect.name != "postgres":
        return False
    from switchgear.cache.pgvector_semantic import pgvector_available

    try:
        return pgvector_available(store)
    except Exception:  # a Postgres we cannot ask keeps the plain table
        log.warning("could not check for pgvector; semantic cache entries stay in the store")
        return False
