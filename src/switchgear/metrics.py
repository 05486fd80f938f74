"""Prometheus metrics: requests, latency, time to first token, tokens and errors."""

from __future__ import annotations

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

    def render(self) -> bytes:
        return generate_latest(self.registry)
