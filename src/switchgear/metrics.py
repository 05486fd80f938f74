"""Prometheus metrics: requests, latency, time to first token, tokens and errors by door, route
and model; every upstream attempt, retry and fallback by target; each circuit breaker's state.

Label values come from the configuration, never from a caller: a route or model name the
config does not know is counted as `other`, so no request can add a series.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from switchgear.routing.health import CIRCUIT_STATE_CODES

if TYPE_CHECKING:
    from switchgear.routing.failover import Attempt
    from switchgear.routing.router import Router
    from switchgear.trip import Trip

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

OTHER = "other"  # a name the configuration does not know (a typo, a probe): one series for all
NONE = "none"  # the request named no model (a model listing, an MCP tools/list)


class GatewayMetrics:
    """One registry per app, so several gateways in one process (tests) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "switchgear_requests",
            "Requests handled, by door, route, model and outcome.",
            ["door", "route", "model", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "switchgear_request_duration_seconds",
            "Time from request to the end of the answer.",
            ["door", "route", "model"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.ttft = Histogram(
            "switchgear_time_to_first_token_seconds",
            "Time from request to the first token of the answer.",
            ["door", "route", "model"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.tokens = Counter(
            "switchgear_tokens",
            "Tokens processed, by model and kind (prompt or completion).",
            ["model", "kind"],
            registry=self.registry,
        )
        self.errors = Counter(
            "switchgear_errors",
            "Failed requests, by door, route, model and error code.",
            ["door", "route", "model", "code"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "switchgear_local_queue_depth",
            "Generations queued or running on each local model.",
            ["model"],
            registry=self.registry,
        )
        self.upstream_attempts = Counter(
            "switchgear_upstream_attempts",
            "Calls to upstream targets, by target, provider and outcome (ok or the error code).",
            ["target", "provider", "outcome"],
            registry=self.registry,
        )
        self.upstream_latency = Histogram(
            "switchgear_upstream_attempt_duration_seconds",
            "Time from calling a target to its first token (ok) or to its failure (error).",
            ["target", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.retries = Counter(
            "switchgear_retries",
            "Attempts on a target right after it failed the same request.",
            ["target"],
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "switchgear_fallbacks",
            "Moves from a failed target to the next target of the route.",
            ["route", "from_target", "to_target"],
            registry=self.registry,
        )
        self._known_names: frozenset[str] = frozenset()
        self._circuits: CircuitCollector | None = None

        # `.labels()` hashes and validates its arguments on every call; a request's children
        # are the same for every request of its door, route, model and outcome.
        self._children: dict[tuple[str, str, str, str, str | None], tuple[Any, ...]] = {}
        # target label -> error code (None: ok) -> (attempts, latency, retries) children.
        self._attempt_children: dict[str, dict[str | None, tuple[Any, Any, Any]]] = {}
        self._fallback_children: dict[tuple[str, str, str], Any] = {}

    def know_names(self, names: Iterable[str]) -> None:
        """The model ids, aliases, routes, embedding models, collections and moderation
        backends of the configuration: the only values a route or model label takes."""
        self._known_names = frozenset(names)

    def watch_circuits(self, router: Router) -> None:
        """Reports each target's circuit breaker at every scrape (once per gateway)."""
        if self._circuits is None:
            self._circuits = CircuitCollector(router)
            self.registry.register(self._circuits)

    def record_trip(
        self, trip: Trip, status: str, error_code: str | None, seconds: float, ttft_s: float | None
    ) -> None:
        """Everything one finished trip adds: its request series and its upstream attempts."""
        route, model = self._labels_of(trip)
        self.record_request(
            trip.endpoint,
            route,
            model,
            status,
            seconds,
            ttft_s,
            trip.prompt_tokens,
            trip.completion_tokens,
            error_code,
        )
        if trip.attempts:
            self.record_attempts(route, trip.attempts)

    def _labels_of(self, trip: Trip) -> tuple[str, str]:
        """(route, model). Route: the alias the request resolved to; for kinds without a
        route, the requested model or collection. Model: the one that served it, else the
        name the caller asked for. A name set by the gateway itself (`trip.route` of a
        search, a stored response, an MCP server) stands in for one the config lacks."""
        asked = trip.model
        requested = (
            asked if asked in self._known_names else trip.route or (OTHER if asked else NONE)
        )
        route = requested if trip.plan is None else trip.plan.name
        if trip.target is not None:
            return route, trip.target.model_id
        body = trip.body
        if body is not None:
            # The gateway wrote it (the embedder's served name, the moderation backend's
            # model, a stored response's model), so it comes from the configuration.
            served = body.get("model")
            if isinstance(served, str) and served:
                return route, served
        return route, requested

    def record_request(
        self,
        door: str,
        route: str,
        model: str,
        status: str,
        seconds: float,
        ttft_s: float | None,
        prompt_tokens: int,
        completion_tokens: int,
        error_code: str | None,
    ) -> None:
        key = (door, route, model, status, error_code)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(door, route, model, status),
                self.latency.labels(door, route, model),
                self.ttft.labels(door, route, model),
                self.tokens.labels(model, "prompt"),
                self.tokens.labels(model, "completion"),
                None if error_code is None else self.errors.labels(door, route, model, error_code),
            )
        requests, latency, ttft, prompt, completion, errors = children
        requests.inc()
        latency.observe(seconds)
        if ttft_s is not None:
            ttft.observe(ttft_s)
        if prompt_tokens or completion_tokens:
            prompt.inc(prompt_tokens)
            completion.inc(completion_tokens)
        if errors is not None:
            errors.inc()

    def record_attempts(self, route: str, attempts: Sequence[Attempt]) -> None:
        """Each attempt by target; a second attempt on the same target is a retry, one on
        another target a fallback from the previous one."""
        previous: str | None = None
        for attempt in attempts:
            target = attempt.target
            counted, latency, retried = self._attempt_series(attempt)
            counted.inc()
            latency.observe(attempt.latency_ms / 1000)
            if previous == target:
                retried.inc()
            elif previous is not None:
                self._fallback_series(route, previous, target).inc()
            previous = target

    def _attempt_series(self, attempt: Attempt) -> tuple[Any, Any, Any]:
        by_code = self._attempt_children.get(attempt.target)
        if by_code is None:
            by_code = self._attempt_children[attempt.target] = {}
        code = None if attempt.status == "ok" else attempt.error_code or "error"
        series = by_code.get(code)
        if series is None:
            target = attempt.target
            # An MCP call's attempt names its server as the target; it is its own provider.
            provider = attempt.provider or target
            series = by_code[code] = (
                self.upstream_attempts.labels(target, provider, code or "ok"),
                self.upstream_latency.labels(target, "ok" if code is None else "error"),
                self.retries.labels(target),
            )
        return series

    def _fallback_series(self, route: str, from_target: str, to_target: str) -> Any:
        key = (route, from_target, to_target)
        series = self._fallback_children.get(key)
        if series is None:
            series = self._fallback_children[key] = self.fallbacks.labels(*key)
        return series

    def render(self) -> bytes:
        return generate_latest(self.registry)


class CircuitCollector(Collector):
    """Each target's circuit breaker, read from the router's live health at scrape time:
    the request path updates nothing for it."""

    def __init__(self, router: Router) -> None:
        self.router = router

    def collect(self) -> Iterator[Metric]:
        state = GaugeMetricFamily(
            "switchgear_circuit_state",
            "Circuit breaker of each target: 0 closed, 1 half-open, 2 open.",
            labels=["target"],
        )
        opened = CounterMetricFamily(
            "switchgear_circuit_opened",
            "Times each target's circuit breaker opened.",
            labels=["target"],
        )
        for target in self.router.targets:
            health = self.router.health[target.model_id]
            state.add_metric([target.label], CIRCUIT_STATE_CODES[health.state])
            opened.add_metric([target.label], health.opened)
        yield state
        yield opened
