"""Lookup and keep latency of each response-cache backend, with N entries in one partition
and conversation (the worst case for a semantic lookup: every entry is a candidate).

    .venv/bin/python bench/cache/backends.py [--entries 1000 10000] [--lookups 200]

Backends: the gateway's own table on SQLite and on Postgres (semantic: every candidate vector
read out and compared in numpy); on one machine the table for exact entries and sqlite-vec for
semantic ones; for replicas Redis for exact entries and pgvector for semantic ones. Postgres
with pgvector comes from the `pgserver` wheel (dev dependency), Redis from Debian's
redis-server (scripts/test-services.sh), both on loopback.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from tests.services import redis_server

from switchgear.cache.backends import LayeredCache, ResponseCache, open_cache
from switchgear.cache.config import CacheBackendsConfig
from switchgear.cache.store import CachedAnswer
from switchgear.store.postgres import open_postgres_store
from switchgear.store.sqlite import open_sqlite_store

ANSWER = b'[{"content": "' + b"x" * 600 + b'", "finish_reason": "stop"}]'


def unit_vectors(count: int, seed: int) -> np.ndarray[Any, Any]:
    vectors = np.random.default_rng(seed).normal(size=(count, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)  # type: ignore[no-any-return]


def timed(work: Callable[[], object], times: int) -> tuple[float, float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def measure(name: str, cache: ResponseCache, entries: int, lookups: int) -> dict[str, Any]:
    vectors = unit_vectors(entries, seed=entries)
    partition = f"helpdesk\x1fkey:{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    for n in range(entries):
        entry = CachedAnswer(ANSWER, "gpt-fake@api", time.time())
        cache.put(partition, f"h{n}", "ctx", vectors[n], entry, 3600, partition, entries * 2)
    keep_ms = (time.perf_counter() - started) * 1000 / entries
    probe = iter(range(10**9))
    exact = timed(lambda: cache.exact(partition, f"h{next(probe) % entries}", 0.0), lookups)
    queries = unit_vectors(lookups, seed=99)
    q = iter(range(10**9))
    near = timed(lambda: cache.nearest(partition, "ctx", queries[next(q) % lookups], 0.0), lookups)
    return {"backend": name, "entries": entries, "keep_ms": keep_ms, "exact": exact, "near": near}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--lookups", type=int, default=200)
    args = parser.parse_args()
    import pgserver
    import psycopg

    rows = []
    with tempfile.TemporaryDirectory() as home, redis_server() as redis_url:
        server = pgserver.get_server(Path(home) / "pg", cleanup_mode="delete")
        uri = server.get_uri()
        with psycopg.connect(uri, autocommit=True) as admin:
            admin.execute("CREATE EXTENSION IF NOT EXISTS vector")
        try:
            for entries in args.entries:
                setups = {
                    "SQLite table": (CacheBackendsConfig(exact="store", semantic="store"), None),
                    "SQLite + sqlite-vec": (CacheBackendsConfig(), None),
                    "Postgres table": (CacheBackendsConfig(exact="store", semantic="store"), None),
                    "Redis + pgvector": (CacheBackendsConfig(), redis_url),
                }
                for name, (config, redis) in setups.items():
                    if name.startswith("SQLite"):
                        store = open_sqlite_store(Path(home) / f"{uuid.uuid4().hex}.db")
                    else:
                        db = f"b_{uuid.uuid4().hex[:8]}"
                        with psycopg.connect(uri, autocommit=True) as admin:
                            admin.execute(f"CREATE DATABASE {db}")
                        store = open_postgres_store(uri.replace("/postgres?", f"/{db}?", 1))
                    data_dir = Path(home) / uuid.uuid4().hex
                    data_dir.mkdir()
                    cache = open_cache(config, store, redis, data_dir)
                    assert isinstance(cache, LayeredCache) == (config.semantic == "auto")
                    rows.append(measure(name, cache, entries, args.lookups))
                    store.close()
                    print(rows[-1], flush=True)
        finally:
            server.cleanup()
    print("\n| backend | entries in the partition | keep (ms/entry) | exact hit p50 / p95 ms "
          "| semantic nearest p50 / p95 ms |")  # fmt: skip
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        exact, near = r["exact"], r["near"]
        print(f"| {r['backend']} | {r['entries']:,} | {r['keep_ms']:.2f} | "
              f"{exact[0]:.2f} / {exact[1]:.2f} | {near[0]:.2f} / {near[1]:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
