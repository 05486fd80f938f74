"""`tracing:` in the config. Off by default; on, every trip is a span exported over OTLP/HTTP
(protobuf) to `endpoint`, with no prompt or answer text unless `capture_content` says so."""

from __future__ import annotations

from typing import Annotated

import msgspec


class TracingConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    enabled: bool = False
    endpoint: str = "http://127.0.0.1:4318/v1/traces"  # an OpenTelemetry Collector's OTLP/HTTP
    headers: dict[str, str] = {}  # e.g. a vendor's API key header
    service_name: str = "switchgear"
    # Of the traces that start here (a client's sampled `traceparent` is always followed).
    sample_ratio: Annotated[float, msgspec.Meta(ge=0, le=1)] = 1.0
    # The prompt as the provider got it (after the guards) on the trip's span, as
    # `gen_ai.input.messages`: off, since spans often leave for a vendor's backend.
    capture_content: bool = False
    export_interval_ms: Annotated[int, msgspec.Meta(gt=0)] = 1000
