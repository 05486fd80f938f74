"""Exact cache entries in Redis, shared by every replica that uses the same Redis.

One entry is a hash (`answer`, `target`, `created_at`) under a key derived from its partition
and request hash, with Redis's own expiry set to the entry's TTL. The per-route size bound is a
sorted set of the route's entry keys by creation time: past `max_entries`, the oldest go.
The client is the synchronous one, called from worker threads like the SQL store.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from switchgear.cache.store import CachedAnswer

_PREFIX = "switchgear:cache:"


class RedisExactCache:
    def __init__(self, url: str, client: Any = None) -> None:
        if client is None:
            import redis

            # Bounded waits: a hung Redis makes a lookup a miss, not a stuck worker thread.
            client = redis.Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=2.0)
        self.redis: Any = client

    def exact(self, partition: str, key: str, newer_than: float) -> CachedAnswer | None:
        fields = self.redis.hmget(_entry_key(partition, key), "answer", "target", "created_at")
        if fields[0] is None:
            return None
        created_at = float(fields[2])
        if created_at < newer_than:
            return None
        return CachedAnswer(bytes(fields[0]), fields[1].decode(), created_at)

    def put(
        self, partition: str, key: str, entry: CachedAnswer, ttl_s: float, route: str,
        max_entries: int,
    ) -> None:  # fmt: skip
        name = _entry_key(partition, key)
        index = _route_key(route)
        mapping = {"answer": entry.answer, "target": entry.target,
                   "created_at": repr(entry.created_at)}  # fmt: skip
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(name)
            pipe.hset(name, mapping=mapping)
            pipe.pexpire(name, max(1, int(ttl_s * 1000)))
            pipe.zadd(index, {name: entry.created_at})
            # Members whose entry has expired still count until trimmed here.
            pipe.zremrangebyscore(index, "-inf", time.time() - ttl_s)
            pipe.zcard(index)
            size = pipe.execute()[-1]
        if size > max_entries:
            oldest = self.redis.zpopmin(index, size - max_entries)
            if oldest:
                self.redis.delete(*[member for member, _ in oldest])

    def close(self) -> None:
        self.redis.close()


def _entry_key(partition: str, key: str) -> str:
    # The partition names a key id or team; hashed so no identifier is readable in Redis.
    return _PREFIX + hashlib.sha256(f"{partition}\x1f{key}".encode()).hexdigest()


def _route_key(route: str) -> str:
    return _PREFIX + "route:" + hashlib.sha256(route.encode()).hexdigest()[:32]
