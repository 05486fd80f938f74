"""Traces through a real OTLP/HTTP receiver that decodes the protobuf payloads: a trip's span
follows the client's `traceparent`, has a child per stage and per upstream attempt with the
GenAI attributes, the upstream gets the trace context, and no prompt text is in any span."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess

CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"
SECRET_PROMPT = "The launch code is falcon-seven"

CONFIG = """
providers:
  down: {{kind: openai_compat, base_url: "http://127.0.0.1:9/v1", api_key_env: FAKE_KEY}}
  api: {{kind: openai_compat, base_url: "{upstream}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: gpt-down, provider: down, upstream_model: gpt-4o}}
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
routes:
  assistant: {{targets: [gpt-down, gpt-fake], retries: 0}}
resilience: {{backoff_base_s: 0.01}}
tracing: {{enabled: true, endpoint: "{collector}/v1/traces", export_interval_ms: 100}}
"""


@dataclass
class Collector:
    """An OTLP/HTTP trace receiver: each POST is an ExportTraceServiceRequest (protobuf)."""

    spans: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        async def traces(request: Request) -> Response:
            assert request.headers["content-type"] == "application/x-protobuf"
            export = ExportTraceServiceRequest()
            export.ParseFromString(await request.body())
            with self.lock:
                for resource in export.resource_spans:
                    for scope in resource.scope_spans:
                        self.spans.extend(scope.spans)
            return Response(b"", media_type="application/x-protobuf")

        return Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])

    def of_trace(self, trace_hex: str, count: int, timeout: float = 20) -> list[Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [s for s in self.spans if s.trace_id.hex() == trace_hex]
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"{len(found)} spans of {trace_hex} arrived, wanted {count}")


def attributes(span: Any) -> dict[str, Any]:
    out = {}
    for kv in span.attributes:
        value = kv.value
        out[kv.key] = getattr(value, value.WhichOneof("value"))
    return out


@pytest.fixture(scope="module")
def traced() -> Iterator[tuple[GatewayProcess, Collector, FakeBehaviour]]:
    collector, behaviour = Collector(), FakeBehaviour(api_key="test-key")
    with (
        run_fake(collector.app()) as collector_url,
        run_fake(create_openai_fake(behaviour)) as upstream_url,
    ):
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as home:
            config = Path(home) / "switchgear.yaml"
            config.write_text(CONFIG.format(upstream=upstream_url, collector=collector_url))
            gateway = GatewayProcess(Path(home), config, env={"FAKE_KEY": "test-key"})
            try:
                yield gateway, collector, behaviour
            finally:
                gateway.stop()


def test_a_trip_is_a_span_in_the_clients_trace_with_stages_and_attempts(
    traced: tuple[GatewayProcess, Collector, FakeBehaviour],
) -> None:
    gateway, collector, behaviour = traced
    body = {"model": "assistant", "max_tokens": 12, "temperature": 0.2,
            "messages": [{"role": "user", "content": SECRET_PROMPT}]}  # fmt: skip
    headers = {"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"}
    response = httpx.post(
        f"{gateway.base_url}/v1/chat/completions", json=body, headers=headers, timeout=60
    )
    assert response.status_code == 200, response.text
    spans = collector.of_trace(CLIENT_TRACE, count=8)
    [trip] = [s for s in spans if s.parent_span_id.hex() == CLIENT_SPAN]
    assert trip.name == "chat assistant"
    trip_attributes = attributes(trip)
    assert trip_attributes["gen_ai.operation.name"] == "chat"
    assert trip_attributes["gen_ai.request.model"] == "assistant"
    assert trip_attributes["gen_ai.response.model"] == "gpt-fake"
    assert trip_attributes["gen_ai.request.max_tokens"] == 12
    assert trip_attributes["gen_ai.usage.output_tokens"] > 0
    assert trip_attributes["switchgear.route"] == "assistant"
    children = [s for s in spans if s.parent_span_id == trip.span_id]
    stages = {attributes(s).get("switchgear.stage") for s in children} - {None}
    assert {"auth", "template", "guards.in", "route"} <= stages  # the stages it entered
    attempts = [attributes(s) for s in children if s.name.startswith("chat gpt-")]
    assert [a["switchgear.target"] for a in attempts] == ["gpt-down@down", "gpt-fake@api"]
    assert "error.type" in attempts[0] and attempts[1]["http.response.status_code"] == 200
    # The upstream was asked inside the same trace.
    upstream_headers = behaviour.requests[-1]["headers"]
    assert upstream_headers["traceparent"].split("-")[1] == CLIENT_TRACE
    everything = " ".join(str(attributes(s)) + s.name for s in spans)
    assert "falcon-seven" not in everything, "prompt text in a span without capture_content"


def test_a_request_without_traceparent_starts_a_trace_of_its_own(
    traced: tuple[GatewayProcess, Collector, FakeBehaviour],
) -> None:
    gateway, collector, _ = traced
    response = httpx.post(
        f"{gateway.base_url}/v1/embeddings",
        json={"model": "all-minilm-l6-v2", "input": "hello"},
        timeout=60,
    )
    assert response.status_code == 200
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with collector.lock:
            found = [s for s in collector.spans if s.name == "embeddings all-minilm-l6-v2"]
        if found:
            break
        time.sleep(0.1)
    assert found and not found[0].parent_span_id
    assert attributes(found[0])["gen_ai.operation.name"] == "embeddings"


def test_capture_content_puts_the_guarded_prompt_on_the_span(tmp_path: Any) -> None:
    """Opted in, the span holds the prompt as the provider got it: after the guards."""
    collector, behaviour = Collector(), FakeBehaviour(api_key="test-key")
    config = """
providers:
  api: {{kind: openai_compat, base_url: "{upstream}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
guards:
  default: masked
  policies: {{masked: {{pii: {{action: redact, use_model: false}}}}}}
tracing: {{enabled: true, endpoint: "{collector}/v1/traces", export_interval_ms: 100,
          capture_content: true}}
"""
    with (
        run_fake(collector.app()) as collector_url,
        run_fake(create_openai_fake(behaviour)) as upstream_url,
    ):
        path = tmp_path / "switchgear.yaml"
        path.write_text(config.format(upstream=upstream_url, collector=collector_url))
        gateway = GatewayProcess(tmp_path, path, env={"FAKE_KEY": "test-key"})
        try:
            asked = [{"role": "user", "content": "Mail jane.doe@example.com now"}]
            body = {"model": "gpt-fake", "max_tokens": 5, "messages": asked}
            trace_id = "0af7651916cd43dd8448eb211c80319c"
            headers = {"traceparent": f"00-{trace_id}-b7ad6b7169203331-01"}
            response = httpx.post(
                f"{gateway.base_url}/v1/chat/completions", json=body, headers=headers, timeout=60
            )
            assert response.status_code == 200, response.text
            [trip] = [s for s in collector.of_trace(trace_id, count=1) if s.name == "chat gpt-fake"]
            captured = attributes(trip)["gen_ai.input.messages"]
            assert "Mail [EMAIL] now" in captured and "jane.doe" not in captured
        finally:
            gateway.stop()
