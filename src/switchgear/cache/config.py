"""`routes.<name>.cache`: opt-in per route."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec


class CacheConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # exact: the same request, as the provider would get it (after templates and guards);
    # semantic: the same conversation up to its last user message, and that message close in
    # meaning (all-MiniLM-L6-v2's cosine similarity ≥ `threshold`).
    mode: Literal["exact", "semantic"] = "exact"
    ttl_s: Annotated[float, msgspec.Meta(gt=0)] = 3600.0
    max_entries: Annotated[int, msgspec.Meta(gt=0)] = 10_000  # per route; the oldest go first
    # Measured on hard pairs (bench/RESULTS.md): embedding similarity does not tell a
    # paraphrase from a one-word near-miss; keep it high, and use `semantic` only where
    # near-miss questions share their answer.
    threshold: Annotated[float, msgspec.Meta(gt=0, le=1)] = 0.98
    # Answers are kept per key (the default, and what knowledge routes need: what a key may
    # retrieve is its own) or shared by a team's keys.
    partition: Literal["key", "team"] = "key"


class CacheBackendsConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`response_cache:` at the top level: where entries live. `auto` keeps exact entries in
    Redis when the gateway has a `redis_url` (one round trip, expiry done by Redis), else in
    the gateway's database; and semantic entries where the nearest one is found inside the
    database, not by reading every vector out: pgvector on Postgres with the `vector`
    extension, sqlite-vec (a `response_cache.db` in the data directory) with SQLite. `store`
    keeps them in the gateway's own table (vectors compared in Python)."""

    exact: Literal["auto", "store", "redis"] = "auto"
    semantic: Literal["auto", "store", "pgvector", "sqlite-vec"] = "auto"
