"""What a `store: full` route keeps of a request: the request as the provider received it
(after the template, knowledge and guards.in stages: a pseudonym stays a pseudonym) and the
answer as the caller received it, both as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from switchgear.providers.base import DeltaStream
from switchgear.schema.generation import Delta


@dataclass(slots=True)
class _Choice:
    text: list[str] = field(default_factory=list)
    tool_calls: dict[int, dict[str, str]] = field(default_factory=dict)
    finish_reason: str | None = None


@dataclass(slots=True)
class AnswerText:
    """The answer of one attempt, choice by choice, as it streams past."""

    choices: dict[int, _Choice] = field(default_factory=dict)

    def add(self, delta: Delta) -> None:
        choice = self.choices.setdefault(delta.index, _Choice())
        if delta.text:
            choice.text.append(delta.text)
        for piece in delta.tool_calls:
            call = choice.tool_calls.setdefault(
                piece.index, {"id": "", "name": "", "arguments": ""}
            )
            call["id"] = piece.id or call["id"]
            call["name"] = piece.name or call["name"]
            call["arguments"] += piece.arguments
        if delta.finish_reason is not None:
            choice.finish_reason = delta.finish_reason

    def as_json(self) -> str:
        choices = [
            {
                "index": index,
                "text": "".join(choice.text),
                "tool_calls": list(choice.tool_calls.values()),
                "finish_reason": choice.finish_reason,
            }
            for index, choice in sorted(self.choices.items())
        ]
        return msgspec.json.encode({"choices": choices}).decode()


async def recorded(deltas: DeltaStream, answer: AnswerText) -> DeltaStream:
    try:
        async for delta in deltas:
            answer.add(delta)
            yield delta
    finally:
        await deltas.aclose()


def request_json(request: Any) -> str:
    """The request's fields that are set, as JSON."""
    fields = msgspec.to_builtins(request)
    if isinstance(fields, dict):
        fields = {name: value for name, value in fields.items() if value is not None}
    return msgspec.json.encode(fields).decode()
