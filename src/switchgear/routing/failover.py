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
from dataclasses import dataclass

from switchgear.providers.base import DeltaStream
from switchgear.routing.config import ResilienceConfig
from switchgear.routing.health import TargetHealth
from switchgear.routing.router import RoutePlan
from switchgear.routing.target import Target
from switchgear.schema.errors import GatewayError, UpstreamError
from switchgear.schema.generation import Delta


@dataclass(slots=True, frozen=True)
class Attempt:
    target: str
    status: str  # ok | error
    http_status: int
    error_code: str | None
    latency_ms: float


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
                attempts.append(Attempt(target.label, "ok", 200, None, ttft * 1000))
                return Started(target, first, rest)
            await stream.aclose()
            latency_ms = (time.perf_counter() - began) * 1000
            attempts.append(
                Attempt(target.label, "error", error.status, error.code or error.type, latency_ms)
            )
            if not (isinstance(error, UpstreamError) and error.retryable):
                target_health.probing = False
                raise error
            target_health.record_failure()
            last_error = error
            if attempt_number == plan.retries:
                break
            delay = _backoff(attempt_number, error, resilience)
            if delay is None:
                break
            await asyncio.sleep(delay)
    raise _all_failed(plan, last_error, health)


def _backoff(attempt: int, error: UpstreamError, resilience: ResilienceConfig) -> float | None:
    """Seconds to wait before retrying the same target, or None to move on now."""
    if error.retry_after is not None:
        if error.retry_after > resilience.max_retry_after_s:
            return None
        return error.retry_after
    ceiling = min(resilience.backoff_max_s, resilience.backoff_base_s * 2**attempt)
    return random.uniform(0, ceiling)  # "full jitter": spreads retries of many clients


def _all_failed(
    plan: RoutePlan, last_error: GatewayError | None, health: dict[str, TargetHealth]
) -> GatewayError:
    tried = ", ".join(t.label for t in plan.targets)
    # When to try again: what the upstream said, else when the first circuit lets a probe in.
    wait = last_error.retry_after if isinstance(last_error, UpstreamError) else None
    if wait is None:
        wait = min((health[t.model_id].seconds_until_probe() for t in plan.targets), default=1)
    headers = {"retry-after": str(max(1, math.ceil(wait)))}
    if plan.self_hosted_only:
        return GatewayError(
            f"No self-hosted target of `{plan.name}` is available ({tried}); this route never "
            "falls back to external providers.",
            status=503,
            code="no_self_hosted_target",
            headers=headers,
        )
    detail = f" Last error: {last_error.message}" if last_error else " All circuits are open."
    return GatewayError(
        f"Every target of `{plan.name}` failed ({tried}).{detail}",
        status=last_error.status if last_error else 503,
        code="all_targets_failed",
        headers=headers,
    )
