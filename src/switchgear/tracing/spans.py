"""Spans of a trip, after OpenTelemetry's GenAI semantic conventions: one span per trip (`chat
gpt-4o-mini`, `embeddings multilingual-embed`), a child per stage it entered, a child per
upstream attempt (with its target, status and latency). The client's W3C `traceparent` is the
trip's parent (`TraceContextMiddleware`); upstream requests carry the trip's own
(`outgoing_headers`). With tracing off, `Tracing.off()` costs a flag test per trip."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from switchgear.tracing.config import TracingConfig

if TYPE_CHECKING:
    from switchgear.trip import Trip

# The GenAI conventions' operation names, by request kind.
_OPERATIONS = {
    "chat.completions": "chat",
    "internal": "chat",
    "completions": "text_completion",
    "embeddings": "embeddings",
    "mcp.tools.call": "execute_tool",
}
_REQUEST_FIELDS = ("max_tokens", "temperature", "top_p", "seed", "frequency_penalty",
                   "presence_penalty")  # fmt: skip
_ACTIVE = False  # whether any gateway in this process traces (outgoing_headers reads it)


class Tracing:
    def __init__(self, config: TracingConfig) -> None:
        global _ACTIVE
        self.config = config
        self.enabled = config.enabled
        self._provider: Any = None
        self._tracer: Any = None
        if not config.enabled:
            return
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

        self._provider = TracerProvider(
            resource=Resource.create({"service.name": config.service_name}),
            sampler=ParentBased(TraceIdRatioBased(config.sample_ratio)),
        )
        exporter = OTLPSpanExporter(endpoint=config.endpoint, headers=dict(config.headers))
        processor = BatchSpanProcessor(exporter, schedule_delay_millis=config.export_interval_ms)
        self._provider.add_span_processor(processor)
        self._tracer = self._provider.get_tracer("switchgear")
        _ACTIVE = True

    @staticmethod
    def off() -> Tracing:
        return Tracing(TracingConfig())

    def shutdown(self) -> None:
        """Exports what is left (at the gateway's stop)."""
        if self._provider is not None:
            self._provider.shutdown()

    # -- a trip ---------------------------------------------------------------------------

    def start_trip(self, trip: Trip) -> Any:
        """The trip's span, made current (the context token is returned; None when off)."""
        from opentelemetry import context, trace

        operation = _OPERATIONS.get(trip.request.kind, trip.request.kind)
        name = f"{operation} {trip.model}" if trip.model else operation
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": operation,
            "switchgear.door": trip.endpoint,
            "switchgear.request_id": trip.request_id,
        }
        if trip.model:
            attributes["gen_ai.request.model"] = trip.model
        request = getattr(trip.request, "chat", trip.request)
        for field in _REQUEST_FIELDS:
            value = getattr(request, field, None)
            if isinstance(value, int | float) and not isinstance(value, bool):
                attributes[f"gen_ai.request.{field}"] = value
        trip.span = self._tracer.start_span(name, kind=trace.SpanKind.SERVER, attributes=attributes)
        return context.attach(trace.set_span_in_context(trip.span))

    @contextmanager
    def stage(self, trip: Trip, name: str) -> Iterator[None]:
        with self._tracer.start_as_current_span(
            f"switchgear.stage {name}", attributes={"switchgear.stage": name}
        ):
            yield

    def end_trip(self, trip: Trip, outcome: BaseException | None) -> None:
        from opentelemetry.trace import Status, StatusCode

        span = trip.span
        if span is None:
            return
        self._attempt_spans(trip, span)
        attributes: dict[str, Any] = {
            "gen_ai.usage.input_tokens": trip.prompt_tokens,
            "gen_ai.usage.output_tokens": trip.completion_tokens,
            "switchgear.cost": trip.cost,
        }
        if trip.target is not None:
            attributes["gen_ai.response.model"] = trip.target.model_id
            attributes["gen_ai.provider.name"] = trip.target.provider_kind
            attributes["switchgear.target"] = trip.target.label
        if trip.route is not None:
            attributes["switchgear.route"] = trip.route
        identity = trip.admission.identity if trip.admission is not None else trip.caller
        if identity is not None:
            for key in ("key_id", "team", "app"):
                value = getattr(identity, key)
                if value is not None:
                    attributes[f"switchgear.{key}"] = value
        if self.config.capture_content:
            attributes["gen_ai.input.messages"] = _messages_of(trip.request)
        span.set_attributes(attributes)
        if outcome is not None:
            code = getattr(outcome, "code", None) or type(outcome).__name__
            span.set_attribute("error.type", code)
            span.set_status(Status(StatusCode.ERROR, str(outcome)[:200]))
        span.end()
        trip.span = None

    def _attempt_spans(self, trip: Trip, parent: Any) -> None:
        from opentelemetry import trace

        operation = _OPERATIONS.get(trip.request.kind, trip.request.kind)
        context = trace.set_span_in_context(parent)
        for attempt in trip.attempts:
            end = int(attempt.ended_at * 1e9)
            start = end - int(attempt.latency_ms * 1e6)
            attributes: dict[str, Any] = {
                "switchgear.target": attempt.target,
                "gen_ai.operation.name": operation,
                "http.response.status_code": attempt.http_status,
            }
            if attempt.provider:
                attributes["switchgear.provider"] = attempt.provider
            if attempt.error_code:
                attributes["error.type"] = attempt.error_code
            span = self._tracer.start_span(
                f"{operation} {attempt.target}",
                context=context,
                kind=trace.SpanKind.CLIENT,
                attributes=attributes,
                start_time=start,
            )
            span.end(end_time=end)


def detach(token: Any) -> None:
    from opentelemetry import context

    context.detach(token)


def outgoing_headers() -> dict[str, str] | None:
    """`traceparent` (and `tracestate`) of the current span, for an upstream request."""
    if not _ACTIVE:
        return None
    from opentelemetry.propagate import inject

    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier or None


def _messages_of(request: Any) -> str:
    chat = getattr(request, "chat", request)
    texts = getattr(chat, "turns", None)
    if texts is None:
        return "[]"
    return json.dumps([{"role": role, "content": text} for role, text in texts()])
