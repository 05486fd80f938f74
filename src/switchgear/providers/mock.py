"""An in-process provider whose answers come from a function, like httpx's `MockTransport`:
pipeline tests (and plugins' tests) run the whole trip without a server or a model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from switchgear.providers.base import DeltaStream, Generation
from switchgear.schema.generation import Delta, Usage

# (upstream model, request) -> the deltas to stream, sync or async; raising fails the attempt.
Handler = Callable[[str, Generation], Iterable[Delta] | AsyncIterator[Delta]]


class MockProvider:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[tuple[str, Generation]] = []
        self.started = False
        self.closed = False

    async def send(self, model: str, request: Generation) -> DeltaStream:
        self.requests.append((model, request))
        produced: Any = self.handler(model, request)
        if hasattr(produced, "__aiter__"):
            async for delta in produced:
                yield delta
        else:
            for delta in produced:
                yield delta

    def is_ready(self) -> bool:
        return self.started and not self.closed

    async def start(self) -> None:
        self.started = True

    async def aclose(self) -> None:
        self.closed = True


def reply(text: str, prompt_tokens: int = 1, index: int = 0) -> list[Delta]:
    """A whole answer as deltas: the text, then the finish with usage."""
    usage = Usage(prompt_tokens, max(1, len(text.split())))
    return [Delta(text=text, index=index), Delta(finish_reason="stop", usage=usage, index=index)]
