"""The errors a guard raises when it stops a request. They name entity types and categories,
never the values that were found."""

from __future__ import annotations

from typing import TYPE_CHECKING

from switchgear.schema.errors import GatewayError, InvalidRequest, PayloadTooLarge

if TYPE_CHECKING:
    from switchgear.guards.decision import Decision


class GuardBlocked(InvalidRequest):
    """400: the request or answer was stopped by a policy. `code` says which guard."""

    def __init__(self, message: str, *, code: str, reasons: tuple[str, ...]) -> None:
        super().__init__(message, code=code, param="messages")
        self.reasons = reasons
        self.decisions: list[Decision] = []  # every guard decision so far, for the ledger


class GuardUnavailable(GatewayError):
    """503: a guard backend crashed or timed out and the policy fails closed."""

    status = 503
    type = "server_error"

    def __init__(self, message: str, *, guard: str) -> None:
        super().__init__(message, code="guard_unavailable")
        self.guard = guard
        self.decisions: list[Decision] = []


class GuardInputTooLarge(PayloadTooLarge):
    """413: more text than the policy's personal-data model screens, and the policy fails
    closed; the message names the limit."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="input_too_large")
        self.decisions: list[Decision] = []


class GuardTimeout(TimeoutError):
    """A scan ran past its deadline (raised inside the worker, turned into a decision)."""


def pii_blocked(types: dict[str, int]) -> GuardBlocked:
    listed = ", ".join(f"{t} ({n})" for t, n in sorted(types.items()))
    return GuardBlocked(
        f"The request contains personal data that this route does not accept: {listed}.",
        code="pii_blocked",
        reasons=tuple(sorted(types)),
    )


def content_flagged(categories: list[str], where: str) -> GuardBlocked:
    return GuardBlocked(
        f"The {where} was flagged by content moderation: {', '.join(sorted(categories))}.",
        code="content_flagged",
        reasons=tuple(sorted(categories)),
    )


def prompt_injection(score: float) -> GuardBlocked:
    return GuardBlocked(
        f"The request looks like a prompt injection (score {score:.2f}).",
        code="prompt_injection",
        reasons=("prompt_injection",),
    )
