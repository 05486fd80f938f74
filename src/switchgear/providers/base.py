"""The Provider protocol: as small as a transport. Send a request, stream deltas back, close.

A provider streams; the pipeline builds non-streamed answers from the same deltas, so every
provider behaves the same way in both modes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from switchgear.schema.generation import Delta
from switchgear.schema.requests import ChatCompletionRequest, CompletionRequest


class Provider(Protocol):
    """One wire protocol or engine. Raises `GatewayError` subclasses before its first delta."""

    def stream_chat(self, model: str, request: ChatCompletionRequest) -> AsyncIterator[Delta]: ...

    def stream_text(
        self, model: str, request: CompletionRequest, prompt: str | list[int], index: int
    ) -> AsyncIterator[Delta]: ...

    def is_ready(self) -> bool: ...

    async def start(self) -> None: ...

    async def aclose(self) -> None: ...
