"""The usage store interface. Callers depend on this protocol, never on a database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(slots=True, frozen=True)
class AttemptRecord:
    """One call to one target; a request that failed over has several."""

    target: str
    status: str
    http_status: int
    error_code: str | None
    latency_ms: float


@dataclass(slots=True, frozen=True)
class UsageRecord:
    """One request as the ledger remembers it. Never holds prompt or answer text."""

    request_id: str
    created_at: float
    endpoint: str
    model: str
    served_model: str | None
    provider: str | None
    stream: bool
    status: str  # ok | error | cancelled
    http_status: int
    error_code: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    ttft_ms: float | None
    user: str | None
    route: str | None = None
    target: str | None = None
    attempts: tuple[AttemptRecord, ...] = ()


@dataclass(slots=True, frozen=True)
class UsageSummaryRow:
    model: str
    provider: str | None
    status: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    avg_latency_ms: float
    avg_ttft_ms: float | None


class UsageStore(Protocol):
    def write_usage(self, records: Sequence[UsageRecord]) -> None: ...

    def read_usage(self, limit: int = 100) -> list[UsageRecord]: ...

    def read_attempts(self, request_id: str) -> list[AttemptRecord]: ...

    def summarize_usage(self, since: float | None = None) -> list[UsageSummaryRow]: ...

    def close(self) -> None: ...
