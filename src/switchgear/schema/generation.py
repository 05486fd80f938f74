"""What a provider yields: text deltas, then one final delta with the finish reason and usage."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(slots=True, frozen=True)
class ToolCallDelta:
    """A piece of one tool call, OpenAI-style: `id` and `name` on its first piece, then
    `arguments` (a JSON text) arriving in fragments. `index` tells the calls of one answer apart.
    """

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(slots=True, frozen=True)
class Delta:
    """A piece of one answer; `finish_reason` and `usage` come only on its last delta."""

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None
    index: int = 0
    tool_calls: tuple[ToolCallDelta, ...] = ()
    # On the last delta of an answer ended by one of the request's stop sequences, where the
    # provider says which (the Messages API reports it).
    stop_sequence: str | None = None


FINISH_STOP = "stop"
FINISH_LENGTH = "length"
FINISH_TOOL_CALLS = "tool_calls"
FINISH_CONTENT_FILTER = "content_filter"

# A stream of deltas. Always an async generator, so `aclose()` exists and stops the work
# behind it (an upstream connection, a decode loop) as soon as the consumer lets go.
DeltaStream = AsyncGenerator[Delta, None]
