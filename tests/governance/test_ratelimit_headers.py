"""The `x-ratelimit-*` headers say when the window frees up (not a fixed `60s`), on answers
and on 429s alike, from the in-memory counters and from Redis."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest

from switchgear.governance.limits import Limiter, MemoryLimiter, RateLimited, ScopeLimits
from switchgear.governance.redis_limits import RedisLimiter
from tests.services import redis_server

RESET = re.compile(r"^(\d+ms|\d+s|\d+m\d+s)$")


def seconds(header: str) -> float:
    if header.endswith("ms"):
        return int(header[:-2]) / 1000
    minutes, _, rest = header[:-1].rpartition("m")
    return int(minutes or 0) * 60 + int(rest)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_reset_counts_down_and_a_refusal_carries_the_headers(backend: str, redis_url: str) -> None:
    async def scenario() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        limiter: Limiter = MemoryLimiter() if backend == "memory" else RedisLimiter(redis_url)
        scope = [ScopeLimits(f"key:{backend}-reset", rpm=2, tpm=1000)]
        first = await limiter.admit("r1", scope, 10)
        await asyncio.sleep(1.2)
        second = await limiter.admit("r2", scope, 10)
        with pytest.raises(RateLimited) as refused:
            await limiter.admit("r3", scope, 10)
        if isinstance(limiter, RedisLimiter):
            await limiter.aclose()
        return first.headers, second.headers, refused.value.headers

    first, second, refused = asyncio.run(scenario())
    assert first["x-ratelimit-remaining-requests"] == "1"
    assert second["x-ratelimit-remaining-requests"] == "0"
    for headers in (first, second):
        assert RESET.match(headers["x-ratelimit-reset-requests"])
        assert RESET.match(headers["x-ratelimit-reset-tokens"])
    # The oldest request is 1.2 s old: the window frees up in under 59 s, not "60s".
    assert 55 <= seconds(second["x-ratelimit-reset-requests"]) <= 59
    assert refused["x-ratelimit-limit-requests"] == "2"
    assert refused["x-ratelimit-remaining-requests"] == "0"
    assert 55 <= seconds(refused["x-ratelimit-reset-requests"]) <= 59
    assert int(refused["retry-after"]) == int(seconds(refused["x-ratelimit-reset-requests"]))
