"""What a guard decided, for the ledger: types, counts, scores and actions — never values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Decision:
    guard: str  # "pii", "moderation.input", "moderation.output", "injection"
    action: str  # "allow", "block", "redact", "pseudonymize", "route_local", "flag"
    entities: dict[str, int] = field(default_factory=dict)  # PII type -> count
    categories: tuple[str, ...] = ()  # moderation categories that fired
    score: float | None = None  # injection score, or the highest moderation score
    # A backend crashed or timed out: `failed` names it; `fail_open` says whether the request
    # went on regardless (True) or was refused with guard_unavailable (False).
    failed: str | None = None
    fail_open: bool | None = None
    latency_ms: float = 0.0
    incomplete: bool = False  # part of a huge text was not scanned by the model

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"guard": self.guard, "action": self.action}
        if self.entities:
            out["entities"] = dict(sorted(self.entities.items()))
        if self.categories:
            out["categories"] = list(self.categories)
        if self.score is not None:
            out["score"] = round(self.score, 4)
        if self.failed is not None:
            out["failed"] = self.failed
            out["fail_open"] = self.fail_open
        if self.incomplete:
            out["incomplete"] = True
        out["latency_ms"] = round(self.latency_ms, 2)
        return out
