"""Tries a plan's targets in order until one produces a first delta.

Retryable failures (connection, timeout, 429, 5xx) retry the same target with exponential
backoff and jitter, honouring Retry-After, then fall over to the next target. A failure caused
by the request itself (4xx) stops at once. Once a first delta exists, the answer is committed
to that target: a later failure reaches the client as an error event, never a silent switch.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from switchgear.providers.base import DeltaStream
from switchgear.routing.config import ResilienceConfig
from switchgear.routing.health import TargetHealth
from switchgear.routing.router import RoutePlan
from switchgear.routing.target import Target
from switchgear.schema.errors import GatewayError, Overloaded, UpstreamError
from switchgear.schema.generation import Delta


@dataclass(slots=True, frozen=True)
class Attempt:
    target: str
    status: str  # ok | error
    http_status: int
    error_code: str | None
    latency_ms: float
    provider: str = ""  # the `providers:` entry (or local engine) behind `target`
    ended_at: float = field(default_factory=time.time)  # made as the attempt ends (traces)


@dataclass(slots=True)
class Started:
    target: Target
    first: Delta
    rest: DeltaStream | list[Delta]  # a list when the answer was read whole


Call = Callable[[Target], DeltaStream]


async def start_first_healthy(
    plan: RoutePlan,
    call: Call,
    health: dict[str, TargetHealth],
    resilience: ResilienceConfig,
    attempts: list[Attempt],
    whole: bool = False,
) -> Started:
    """`whole`: read each attempt's answer to the end before accepting it (a client that
    asked for a non-streamed answer has seen nothing yet, so a target that breaks off
    half-way is just a failed attempt, and the next target serves it)."""
    last_error: GatewayError | None = None
    # Each target's latest failure, for the error the client gets when none answers (made on
    # the first failure: the request that succeeds at once allocates nothing for it).
    latest_failures: dict[str, UpstreamError] | None = None
    overloaded: Overloaded | None = None
    for target in plan.targets:
        target_health = health[target.model_id]
        for attempt_number in range(plan.retries + 1):
            if not target_health.allows_attempt():
                break
            began = time.perf_counter()
            stream = call(target)
            rest: DeltaStream | list[Delta] = stream
            try:
                if whole:
                    rest = [delta async for delta in stream]
                    if not rest:
                        raise StopAsyncIteration
                    first = rest.pop(0)
                else:
                    first = await anext(stream)
            except StopAsyncIteration:
                error: GatewayError = UpstreamError(
                    f"`{target.label}` ended its answer before sending anything.",
                    retryable=True,
                    code="upstream_empty",
                )
            except GatewayError as raised:
                error = raised
            else:
                ttft = time.perf_counter() - began
                target_health.record_success(ttft)
                attempts.append(
                    Attempt(target.label, "ok", 200, None, ttft * 1000, target.provider_name)
                )
                return Started(target, first, rest)
            await stream.aclose()
            latency_ms = (time.perf_counter() - began) * 1000
            code = error.code or error.type
            attempts.append(
                Attempt(target.label, "error", error.status, code, latency_ms, target.provider_name)
            )
            if isinstance(error, Overloaded):
                # A full queue is busy, not broken: no breaker failure, no retry against the
                # same queue; the next target may have room (the last one's 503 stands).
                target_health.probing = False
                overloaded = error
                break
            if not (isinstance(error, UpstreamError) and error.retryable):
                target_health.probing = False
                raise error
            target_health.record_failure()
            last_error = error
            if latest_failures is None:
                latest_failures = {}
            latest_failures[target.model_id] = error
            if attempt_number == plan.retries:
                break
            delay = _backoff(attempt_number, error, resilience)
            if delay is None:
                break
            await asyncio.sleep(delay)
    if last_error is None and overloaded is not None:
        raise overloaded
    raise _all_failed(plan, last_error, health, latest_failures or {})


def _backoff(attempt: int, error: UpstreamError, resilience: ResilienceConfig) -> float | None:
    """Seconds to wait before retrying the same target, or None to move on now."""
    if error.retry_after is not None:
        if error.retry_after > resilience.max_retry_after_s:
            return None
        return error.retry_after
    ceiling = min(resilience.backoff_max_s, resilience.backoff_base_s * 2**attempt)
    return random.uniform(0, ceiling)  # "full jitter": spreads retries of many clients


class UpstreamsRateLimited(GatewayError):
    """Every target refused with 429: the client hears a rate limit, typed like the gateway's
    own (`governance.limits.RateLimited`, OpenAI's `requests` / `rate_limit_exceeded`), so
    SDKs raise their rate-limit error and back off instead of treating it as a fault."""

    status = 429
    type = "requests"


def _all_failed(
    plan: RoutePlan,
    last_error: GatewayError | None,
    health: dict[str, TargetHealth],
    latest_failures: dict[str, UpstreamError],
) -> GatewayError:
    tried = ", ".join(t.label for t in plan.targets)
    wait = _seconds_until_a_target_may_serve(plan, health, latest_failures)
    headers = {"retry-after": str(max(1, math.ceil(wait)))}
    if plan.self_hosted_only:
        return GatewayError(
            f"No self-hosted target of `{plan.name}` is available ({tried}); this route never "
            "falls back to external providers.",
            status=503,
            code="no_self_hosted_target",
            headers=headers,
        )
    rate_limited = all(f.status == 429 for f in latest_failures.values())
    if last_error is not None and rate_limited:
        return UpstreamsRateLimited(
            f"Every target of `{plan.name}` is rate limited ({tried}). Retry after "
            f"{headers['retry-after']}s. Last error: {last_error.message}",
            code="rate_limit_exceeded",
            headers=headers,
        )
    detail = f" Last error: {last_error.message}" if last_error else " All circuits are open."
    # A target that is only busy (429) does not set the status of one that is broken.
    broken = [f.status for f in latest_failures.values() if f.status != 429]
    return GatewayError(
        f"Every target of `{plan.name}` failed ({tried}).{detail}",
        status=broken[-1] if broken else 503,
        code="all_targets_failed",
        headers=headers,
    )


def _seconds_until_a_target_may_serve(
    plan: RoutePlan, health: dict[str, TargetHealth], latest_failures: dict[str, UpstreamError]
) -> float:
    """The soonest any target could answer: an open circuit lets a probe in after its
    cooldown, a target that sent Retry-After said when (whichever is later); any other
    target may be tried again at once (the caller's floor of one second applies)."""
    return min(
        (
            max(health[t.model_id].seconds_until_probe(), _asked_to_wait(latest_failures, t))
            for t in plan.targets
        ),
        default=0.0,
    )


def _asked_to_wait(latest_failures: dict[str, UpstreamError], target: Target) -> float:
    failure = latest_failures.get(target.model_id)
    if failure is None or failure.retry_after is None:
        return 0.0
    return failure.retry_after
