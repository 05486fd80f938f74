"""Store interfaces and the records they hold. Callers depend on these, never on a database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(slots=True, frozen=True)
class AttemptRecord:
    """One call to one target; a request that failed over has several."""

    target: str
    status: str
    http_status: int
    error_code: str | None
    latency_ms: float


@dataclass(slots=True, frozen=True)
class StoredContent:
    """A request's text and its answer, kept only for a route whose retention policy is
    `store: full`, until `expires_at` (then `switchgear purge` deletes it)."""

    expires_at: float
    request: str  # the request as the provider received it, as JSON
    answer: str  # the answer as the caller received it, as JSON


@dataclass(slots=True, frozen=True)
class UsageRecord:
    """One request as the ledger remembers it. Holds prompt or answer text only in
    `content`, which a `store: full` route asks for (written to its own table)."""

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
    key_id: str | None = None
    team: str | None = None
    app: str | None = None
    cost: float = 0.0
    # Guard decisions as JSON (entity types, counts, actions): never raw values.
    guard: str | None = None
    template: str | None = None  # `name@version` of the prompt template the request used
    attempts: tuple[AttemptRecord, ...] = ()
    content: StoredContent | None = None


@dataclass(slots=True, frozen=True)
class AdminEvent:
    """An administrative action, for the audit log."""

    created_at: float
    actor: str
    action: str
    subject: str
    detail: dict[str, Any] = field(default_factory=dict)


LedgerEntry = UsageRecord | AdminEvent


@dataclass(slots=True, frozen=True)
class AuditRow:
    seq: int
    created_at: float
    kind: str
    actor: str
    action: str
    subject: str
    detail: str
    prev_hash: str
    hash: str


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


@dataclass(slots=True, frozen=True)
class KeyRow:
    """A virtual API key as stored: only the secret's hash, never the secret."""

    id: str
    prefix: str
    secret_hash: str
    name: str
    team: str | None
    app: str | None
    allowed_models: tuple[str, ...]
    guard_policy: str | None
    tags: tuple[str, ...]
    expires_at: float | None
    metadata: dict[str, Any]
    limits: dict[str, int]
    budgets: dict[str, float]
    created_at: float
    updated_at: float
    revoked_at: float | None = None


class LedgerStore(Protocol):
    def write_ledger(self, entries: Sequence[LedgerEntry]) -> None:
        """Writes usage rows, their attempts and a chained audit entry for each, atomically."""
        ...

    def read_usage(self, limit: int = 100) -> list[UsageRecord]: ...

    def read_attempts(self, request_id: str) -> list[AttemptRecord]: ...

    def summarize_usage(self, since: float | None = None) -> list[UsageSummaryRow]: ...

    def usage_rows(self, since: float | None, until: float | None) -> list[UsageRecord]: ...

    def spend_since(self, column: str, value: str, since: float) -> float: ...

    def read_audit(self) -> list[AuditRow]: ...


class KeyStore(Protocol):
    def save_key(self, key: KeyRow) -> None: ...

    def list_keys(self) -> list[KeyRow]: ...


class Store(LedgerStore, KeyStore, Protocol):
    def close(self) -> None: ...
