"""Route ordering by strategy, and the circuit breaker's states."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from switchgear.config import ResilienceConfig, RouteConfig, RouteRequirements, RouteTargetConfig
from switchgear.routing.health import TargetHealth
from switchgear.routing.router import Needs, Router
from switchgear.routing.target import Target
from switchgear.schema.errors import GatewayError


def target(
    model_id: str,
    *,
    self_hosted: bool = False,
    price: float = 0.0,
    context: int = 8192,
    tools: bool = True,
) -> Target:
    provider: Any = object()  # strategies never call a provider
    return Target(
        model_id=model_id,
        provider_name="p",
        provider_kind="openai_compat",
        provider=provider,
        upstream_model=model_id,
        context_window=context,
        self_hosted=self_hosted,
        supports_tools=tools,
        supports_json_schema=True,
        input_price_per_mtok=price,
        output_price_per_mtok=price,
        owned_by="x",
        created=0,
        aliases=(),
    )


def router(
    strategy: str,
    *targets: Target,
    weights: list[float] | None = None,
    require: RouteRequirements | None = None,
) -> Router:
    route = RouteConfig(
        strategy=strategy,  # type: ignore[arg-type]
        targets=[
            RouteTargetConfig(model=t.model_id, weight=w)
            for t, w in zip(targets, weights or [1.0] * len(targets), strict=True)
        ],
        require=require or RouteRequirements(),
    )
    return Router(list(targets), {"r": route}, ResilienceConfig())


def order(r: Router, needs: Needs | None = None) -> list[str]:
    return [t.model_id for t in r.select_route("r", needs or Needs()).targets]


def test_priority_keeps_the_configured_order() -> None:
    assert order(router("priority", target("a"), target("b"))) == ["a", "b"]


def test_weighted_follows_the_weights() -> None:
    r = router("weighted", target("a"), target("b"), weights=[3.0, 1.0])
    firsts = Counter(order(r)[0] for _ in range(2000))
    assert 0.70 < firsts["a"] / 2000 < 0.80


def test_least_latency_prefers_the_fastest_and_measures_the_unmeasured_first() -> None:
    r = router("least_latency", target("a"), target("b"), target("c"))
    r.health["a"].record_success(0.5)
    r.health["b"].record_success(0.1)
    assert order(r) == ["c", "b", "a"]
    r.health["c"].record_success(0.3)
    assert order(r) == ["b", "c", "a"]


def test_least_busy_prefers_the_fewest_in_flight() -> None:
    r = router("least_busy", target("a"), target("b"))
    r.health["a"].in_flight = 3
    r.health["b"].in_flight = 1
    assert order(r) == ["b", "a"]


def test_cheapest_meeting_the_context_need() -> None:
    r = router(
        "cheapest",
        target("dear", price=10),
        target("cheap-small", price=1, context=2048),
        target("cheap", price=2),
        require=RouteRequirements(min_context=4096),
    )
    assert order(r) == ["cheap", "dear"]


def test_requirements_and_needs_filter_targets() -> None:
    r = router(
        "priority",
        target("ext"),
        target("own", self_hosted=True, tools=False),
        require=RouteRequirements(self_hosted=True),
    )
    assert order(r) == ["own"]
    r2 = router("priority", target("own", self_hosted=True, tools=False), target("ext"))
    assert order(r2, Needs(tools=True)) == ["ext"]


def test_circuit_breaker_opens_then_lets_one_probe_through() -> None:
    health = TargetHealth(failure_threshold=2, cooldown_s=0.05)
    health.record_failure()
    assert health.state == "closed"
    health.record_failure()
    assert health.state == "open" and not health.allows_attempt()
    time.sleep(0.06)
    assert health.state == "half_open"
    assert health.allows_attempt()
    assert not health.allows_attempt(), "only one probe at a time"
    health.record_failure()
    assert health.state == "open"
    time.sleep(0.06)
    assert health.allows_attempt()
    health.record_success(0.01)
    assert health.state == "closed"


def test_self_hosted_only_requests_never_plan_an_external_target() -> None:
    r = router("priority", target("ext"), target("own", self_hosted=True))
    plan = r.select_route("r", Needs(self_hosted_only=True))
    assert [t.model_id for t in plan.targets] == ["own"] and plan.self_hosted_only
    only_external = router("priority", target("ext"))
    with pytest.raises(GatewayError) as refused:
        only_external.select_route("r", Needs(self_hosted_only=True))
    assert refused.value.code == "self_hosted_required"
