"""The moderation result every backend returns, and OpenAI's `/v1/moderations` body."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from switchgear.guards.config import MODERATION_CATEGORIES

# A category implies its parent: `sexual/minors` is also `sexual`.
PARENT = {c: c.split("/")[0] for c in MODERATION_CATEGORIES if "/" in c}


class BackendFailed(RuntimeError):
    """A moderation backend crashed, timed out or answered something unreadable."""


@dataclass(frozen=True, slots=True)
class ModerationResult:
    scores: dict[str, float] = field(default_factory=dict)  # category -> [0, 1]
    flags: dict[str, bool] = field(default_factory=dict)  # category -> flagged

    def flagged_categories(self, categories: tuple[str, ...] | list[str] = ()) -> list[str]:
        wanted = set(categories) if categories else set(MODERATION_CATEGORIES)
        return [c for c in MODERATION_CATEGORIES if c in wanted and self.flags.get(c, False)]

    def top_score(self) -> float:
        return max(self.scores.values(), default=0.0)


def result_from_scores(scores: dict[str, float], threshold: float = 0.5) -> ModerationResult:
    full = {c: float(scores.get(c, 0.0)) for c in MODERATION_CATEGORIES}
    for child, parent in PARENT.items():
        full[parent] = max(full[parent], full[child])
    return ModerationResult(full, {c: s >= threshold for c, s in full.items()})


class Moderator(Protocol):
    """Scores texts; one result per input, in order. Raises `BackendFailed` on failure.

    `stream_chunk_chars`: how much new answer text to gather before screening a stream again
    (0 = every delta, for backends cheap enough to call that often). `model_name`: what
    `/v1/moderations` reports as `model`."""

    name: str
    stream_chunk_chars: int
    model_name: str

    async def moderate(self, inputs: list[str]) -> list[ModerationResult]: ...


@runtime_checkable
class ConversationJudge(Protocol):
    """A backend that judges a turn in its conversation (Llama Guard) rather than texts."""

    async def judge(
        self, conversation: Sequence[tuple[str, str]], role: str
    ) -> ModerationResult: ...


def moderation_response(model: str, results: list[ModerationResult]) -> dict[str, Any]:
    """The exact body of OpenAI's `POST /v1/moderations` response."""
    return {
        "id": f"modr-{uuid.uuid4().hex}",
        "model": model,
        "results": [
            {
                "flagged": any(r.flags.get(c, False) for c in MODERATION_CATEGORIES),
                "categories": {c: bool(r.flags.get(c, False)) for c in MODERATION_CATEGORIES},
                "category_scores": {c: float(r.scores.get(c, 0.0)) for c in MODERATION_CATEGORIES},
                "category_applied_input_types": {c: ["text"] for c in MODERATION_CATEGORIES},
            }
            for r in results
        ],
    }


def moderation_inputs(value: object) -> list[str]:
    """OpenAI's `input`: a string, a list of strings, or a list of `{type: text, text}` parts
    (image parts are refused with ValueError: no backend here reads images)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, dict) and item.get("type") == "text":
                out.append(str(item.get("text", "")))
            else:
                raise ValueError("only text inputs are supported")
        return out
    raise ValueError("`input` must be a string or a list of strings")
