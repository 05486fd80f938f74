"""Requests per minute, tokens per minute and concurrency, per key, team and app.

Counters live in memory for one gateway, or in Redis when several share the work. Both are
exact: a sliding 60-second log, checked and updated in one atomic step for every scope of a
request, so no request over a limit slips through and none under it is refused.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from switchgear.schema.errors import GatewayError

WINDOW_S = 60.0


@dataclass(slots=True, frozen=True)
class ScopeLimits:
    scope: str  # "key:…", "team:…", "app:…"
    rpm: int | None = None
    tpm: int | None = None
    concurrency: int | None = None


@dataclass(slots=True)
class Permit:
    request_id: str
    scopes: list[ScopeLimits]
    tokens: int
    headers: dict[str, str] = field(default_factory=dict)


class RateLimited(GatewayError):
    status = 429
    type = "requests"


class LimitsUnavailable(GatewayError):
    """503: the shared counters (Redis) cannot be reached; the request is not sent unchecked."""

    status = 503
    type = "server_error"


@contextmanager
def shared_counters() -> Iterator[None]:
    """Turns a Redis failure into a 503 the client can act on (and retry), not a 500."""
    from redis.exceptions import RedisError

    try:
        yield
    except RedisError as error:
        raise LimitsUnavailable(
            f"The shared limit counters are unavailable ({type(error).__name__}); "
            "the request was not sent.",
            code="limits_unavailable",
            headers={"retry-after": "1"},
        ) from error


class Limiter(Protocol):
    async def admit(self, request_id: str, scopes: list[ScopeLimits], tokens: int) -> Permit:
        """Raises `RateLimited` naming the limit, or reserves the request in every scope."""
        ...

    async def settle(self, permit: Permit, actual_tokens: int) -> None:
        """Replaces the token estimate with the real count and ends the concurrency slot."""
        ...


def refusal(scope: str, kind: str, limit: int, used: int, retry_after: float) -> RateLimited:
    names = {
        "rpm": "requests per min (RPM)",
        "tpm": "tokens per min (TPM)",
        "concurrency": "concurrent requests",
    }
    wait = max(1, int(retry_after + 0.999))
    headers = {"retry-after": str(wait), "x-switchgear-limit": f"{scope}:{kind}"}
    counted = {"rpm": "requests", "tpm": "tokens"}.get(kind)
    if counted is not None:  # the refused limit, as OpenAI's headers describe it
        headers[f"x-ratelimit-limit-{counted}"] = str(limit)
        headers[f"x-ratelimit-remaining-{counted}"] = "0"
        headers[f"x-ratelimit-reset-{counted}"] = duration(retry_after)
    return RateLimited(
        f"Rate limit reached for {scope} on {names[kind]}: Limit {limit}, Used {used}. "
        f"Retry after {wait}s.",
        code="rate_limit_exceeded",
        param=kind,
        headers=headers,
    )


def duration(seconds: float) -> str:
    """A wait in OpenAI's header style: `850ms`, `13s`, `1m0s`."""
    if seconds < 1:
        return f"{max(0, int(seconds * 1000))}ms"
    whole = int(seconds + 0.999)
    minutes, rest = divmod(whole, 60)
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"


def ratelimit_headers(
    scope: ScopeLimits,
    requests_left: int | None,
    tokens_left: int | None,
    requests_reset: float = WINDOW_S,
    tokens_reset: float = WINDOW_S,
) -> dict[str, str]:
    """The first scope's limits; `*_reset`: seconds until the oldest counted request (or its
    tokens) leaves the window, which is when the remaining count next goes up."""
    headers: dict[str, str] = {}
    if scope.rpm is not None and requests_left is not None:
        headers["x-ratelimit-limit-requests"] = str(scope.rpm)
        headers["x-ratelimit-remaining-requests"] = str(max(0, requests_left))
        headers["x-ratelimit-reset-requests"] = duration(requests_reset)
    if scope.tpm is not None and tokens_left is not None:
        headers["x-ratelimit-limit-tokens"] = str(scope.tpm)
        headers["x-ratelimit-remaining-tokens"] = str(max(0, tokens_left))
        headers["x-ratelimit-reset-tokens"] = duration(tokens_reset)
    return headers


@dataclass(slots=True)
class _Window:
    requests: deque[float] = field(default_factory=deque)
    tokens: dict[str, tuple[float, int]] = field(default_factory=dict)
    in_flight: int = 0

    def prune(self, now: float) -> None:
        while self.requests and now - self.requests[0] >= WINDOW_S:
            self.requests.popleft()
        for rid in [r for r, (t, _) in self.tokens.items() if now - t >= WINDOW_S]:
            del self.tokens[rid]


class MemoryLimiter:
    """One process: the event loop makes check-and-record atomic (no await in between)."""

    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}

    async def admit(self, request_id: str, scopes: list[ScopeLimits], tokens: int) -> Permit:
        now = time.time()
        windows = [self._windows.setdefault(s.scope, _Window()) for s in scopes]
        for scope, window in zip(scopes, windows, strict=True):
            window.prune(now)
            if scope.rpm is not None and len(window.requests) >= scope.rpm:
                wait = WINDOW_S - (now - window.requests[0]) if window.requests else WINDOW_S
                raise refusal(scope.scope, "rpm", scope.rpm, len(window.requests), wait)
            used = sum(t for _, t in window.tokens.values())
            if scope.tpm is not None and used + tokens > scope.tpm:
                oldest = min((t for t, _ in window.tokens.values()), default=now)
                raise refusal(scope.scope, "tpm", scope.tpm, used, WINDOW_S - (now - oldest))
            if scope.concurrency is not None and window.in_flight >= scope.concurrency:
                raise refusal(scope.scope, "concurrency", scope.concurrency, window.in_flight, 1)
        for window in windows:
            window.requests.append(now)
            window.tokens[request_id] = (now, tokens)
            window.in_flight += 1
        headers: dict[str, str] = {}
        if scopes:
            first, window = scopes[0], windows[0]
            used = sum(t for _, t in window.tokens.values())
            left_requests = None if first.rpm is None else first.rpm - len(window.requests)
            left_tokens = None if first.tpm is None else first.tpm - used
            oldest_tokens = min((t for t, _ in window.tokens.values()), default=now)
            headers = ratelimit_headers(
                first,
                left_requests,
                left_tokens,
                WINDOW_S - (now - window.requests[0]),
                WINDOW_S - (now - oldest_tokens),
            )
        return Permit(request_id, scopes, tokens, headers)

    async def settle(self, permit: Permit, actual_tokens: int) -> None:
        for scope in permit.scopes:
            window = self._windows.get(scope.scope)
            if window is None:
                continue
            window.in_flight = max(0, window.in_flight - 1)
            if permit.request_id in window.tokens:
                at, _ = window.tokens[permit.request_id]
                window.tokens[permit.request_id] = (at, actual_tokens)
