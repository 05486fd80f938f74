"""Prometheus metrics: requests, latency, time to first token, tokens and errors."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class GatewayMetrics:
    """One registry per app, so several gateways in one process (tests) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "switchgear_requests",
            "Requests handled, by route, model and outcome.",
            ["route", "model", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "switchgear_request_duration_seconds",
            "Time from request to the end of the answer.",
            ["route", "model"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.ttft = Histogram(
            "switchgear_time_to_first_token_seconds",
            "Time from request to the first token of the answer.",
            ["route", "model"],
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
            "Failed requests, by route, model and error code.",
            ["route", "model", "code"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "switchgear_local_queue_depth",
            "Generations queued or running on each local model.",
            ["model"],
            registry=self.registry,
        )

        # `.labels()` hashes and validates its arguments on every call; a request's children
        # are the same for every request of its endpoint, model and outcome.
        self._children: dict[tuple[str, str, str, str | None], tuple[Any, ...]] = {}

    def record_request(
        self,
        endpoint: str,
        model: str,
        status: str,
        seconds: float,
        ttft_s: float | None,
        prompt_tokens: int,
        completion_tokens: int,
        error_code: str | None,
    ) -> None:
        key = (endpoint, model, status, error_code)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(endpoint, model, status),
                self.latency.labels(endpoint, model),
                self.ttft.labels(endpoint, model),
                self.tokens.labels(model, "prompt"),
                self.tokens.labels(model, "completion"),
                None if error_code is None else self.errors.labels(endpoint, model, error_code),
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

    def render(self) -> bytes:
        return generate_latest(self.registry)
