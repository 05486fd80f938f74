"""The Provider protocol: as small as a transport. Send one request, stream deltas back, close.

A provider streams; the pipeline builds non-streamed answers from the same deltas, so every
provider behaves the same way in both modes. `send` returns an async generator, so closing a
stream early (`aclose`) always stops the work behind it: there is no stream without `aclose`.
"""

from __future__ import annotations

from typing import Any, Protocol

from switchgear.schema.generation import DeltaStream
from switchgear.schema.requests import ChatCompletionRequest, CompletionRequest, TextPrompt

# What a provider is sent: a chat, or one prompt of a text completion (the pipeline fans a
# request with several prompts out, one `TextPrompt` each).
Generation = ChatCompletionRequest | TextPrompt


class Provider(Protocol):
    """One wire protocol or engine. Raises `GatewayError` subclasses before its first delta."""

    def send(self, model: str, request: Generation) -> DeltaStream: ...

    def is_ready(self) -> bool: ...

    async def start(self) -> None: ...

    async def aclose(self) -> None: ...


class EmbeddingProvider(Protocol):
    """A provider that also serves `/v1/embeddings`: `body` is OpenAI's request body (input,
    encoding_format, dimensions, user) without `model`; the answer is OpenAI's response body.
    Raises `GatewayError` subclasses, retryable ones for the failover to act on."""

    async def embeddings(self, model: str, body: dict[str, Any]) -> dict[str, Any]: ...


class ChatAndText:
    """For providers written as one method per request shape: `send` picks the method."""

    def send(self, model: str, request: Generation) -> DeltaStream:
        if isinstance(request, TextPrompt):
            return self.stream_text(model, request.request, request.prompt, request.index)
        return self.stream_chat(model, request)

    def stream_chat(self, model: str, request: ChatCompletionRequest) -> DeltaStream:
        raise NotImplementedError

    def stream_text(
        self, model: str, request: CompletionRequest, prompt: str | list[int], index: int
    ) -> DeltaStream:
        raise NotImplementedError


__all__ = ["ChatAndText", "DeltaStream", "EmbeddingProvider", "Generation", "Provider"]
