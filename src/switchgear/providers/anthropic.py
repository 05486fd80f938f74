"""Anthropic's Messages API behind the OpenAI format: the provider, and its stream events
translated back into deltas. The request body is built in `anthropic_messages`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from switchgear.providers.anthropic_messages import messages_body, reject_unsupported
from switchgear.providers.base import ChatAndText, DeltaStream
from switchgear.providers.config import ProviderConfig
from switchgear.providers.http_errors import error_from_event, stream_broken
from switchgear.providers.sse_client import UpstreamClient, drain
from switchgear.schema.errors import InvalidRequest
from switchgear.schema.generation import (
    FINISH_CONTENT_FILTER,
    FINISH_LENGTH,
    FINISH_STOP,
    FINISH_TOOL_CALLS,
    Delta,
    ToolCallDelta,
    Usage,
)
from switchgear.schema.requests import (
    ChatCompletionRequest,
    CompletionRequest,
)

DEFAULT_VERSION = "2023-06-01"
_FINISH = {
    "end_turn": FINISH_STOP,
    "stop_sequence": FINISH_STOP,
    "pause_turn": FINISH_STOP,
    "max_tokens": FINISH_LENGTH,
    "model_context_window_exceeded": FINISH_LENGTH,
    "tool_use": FINISH_TOOL_CALLS,
    "refusal": FINISH_CONTENT_FILTER,
}


class _Usage(msgspec.Struct):
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


class _Message(msgspec.Struct):
    usage: _Usage | None = None


class _Event(msgspec.Struct):
    type: str
    index: int | None = None
    message: _Message | None = None
    content_block: dict[str, Any] | None = None
    delta: dict[str, Any] | None = None
    usage: _Usage | None = None


_decode_event = msgspec.json.Decoder(_Event).decode


class _Translator:
    """Turns one answer's events into deltas; keeps the counts for the final delta."""

    def __init__(self, json_mode: bool) -> None:
        self.json_mode = json_mode
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.stop_reason: str | None = None
        self.stop_sequence: str | None = None
        self.tools: dict[int, int] = {}  # content block index -> OpenAI tool call index

    def feed(self, event: _Event) -> Delta | None:
        if event.type == "message_start" and event.message is not None:
            self.count(event.message.usage)
        elif event.type == "content_block_start" and event.content_block is not None:
            return self.block_start(event.index or 0, event.content_block)
        elif event.type == "content_block_delta" and event.delta is not None:
            return self.block_delta(event.index or 0, event.delta)
        elif event.type == "message_delta":
            self.count(event.usage)
            if event.delta is not None and event.delta.get("stop_reason"):
                self.stop_reason = str(event.delta["stop_reason"])
                stop_sequence = event.delta.get("stop_sequence")
                self.stop_sequence = stop_sequence if isinstance(stop_sequence, str) else None
        # ping, content_block_stop and event types added later carry nothing to translate.
        return None

    def count(self, usage: _Usage | None) -> None:
        if usage is None:
            return
        if usage.input_tokens is not None:
            # OpenAI's prompt_tokens include cached tokens; Anthropic reports them apart.
            self.prompt_tokens = (
                usage.input_tokens
                + (usage.cache_creation_input_tokens or 0)
                + (usage.cache_read_input_tokens or 0)
            )
        if usage.output_tokens is not None:
            self.completion_tokens = usage.output_tokens  # totals, not increments

    def block_start(self, index: int, block: dict[str, Any]) -> Delta | None:
        if block.get("type") == "text" and not self.json_mode:
            return Delta(text=str(block.get("text") or "")) if block.get("text") else None
        if block.get("type") != "tool_use":
            return None  # thinking and server-side tool blocks have no OpenAI counterpart
        ordinal = self.tools[index] = len(self.tools)
        if self.json_mode:
            return None
        call = ToolCallDelta(ordinal, id=block.get("id"), name=block.get("name"))
        return Delta(tool_calls=(call,))

    def block_delta(self, index: int, delta: dict[str, Any]) -> Delta | None:
        kind = delta.get("type")
        if kind == "text_delta" and not self.json_mode:
            text = str(delta.get("text") or "")
            return Delta(text=text) if text else None
        if kind == "input_json_delta" and index in self.tools:
            fragment = str(delta.get("partial_json") or "")
            if not fragment:
                return None
            if self.json_mode:
                return Delta(text=fragment)
            return Delta(tool_calls=(ToolCallDelta(self.tools[index], arguments=fragment),))
        return None

    def finish(self) -> Delta:
        reason = _FINISH.get(self.stop_reason or "end_turn", FINISH_STOP)
        if self.json_mode and reason == FINISH_TOOL_CALLS:
            reason = FINISH_STOP
        usage = Usage(self.prompt_tokens, self.completion_tokens)
        return Delta(finish_reason=reason, usage=usage, stop_sequence=self.stop_sequence)


class AnthropicProvider(ChatAndText):
    """One Anthropic Messages API endpoint, as configured under `providers`."""

    def __init__(self, name: str, settings: ProviderConfig) -> None:
        if settings.kind != "anthropic":
            raise ValueError(f"provider {name!r}: kind {settings.kind!r} is not anthropic")
        self.name = name
        self.settings = settings
        base = settings.base_url.rstrip("/")
        self.url = f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"
        self.http = UpstreamClient(name, settings)

    async def start(self) -> None:
        key = self.settings.api_key()  # read once; rotating a key file needs a restart
        headers = {
            "accept": "text/event-stream",
            "content-type": "application/json",
            "anthropic-version": self.settings.api_version or DEFAULT_VERSION,
        }
        headers.update(self.settings.headers)
        if key:
            headers["x-api-key"] = key
        self.http.open(headers, key)

    async def aclose(self) -> None:
        await self.http.close()

    def is_ready(self) -> bool:
        return self.http.is_open()

    async def stream_chat(self, model: str, request: ChatCompletionRequest) -> DeltaStream:
        reject_unsupported(request)
        body, json_mode = messages_body(model, request)
        events = self.http.post(self.url, msgspec.json.encode(body))
        translator = _Translator(json_mode)
        stopped = False
        try:
            async for name, data in events:
                event = self._decode(name, data)
                if event.type == "message_stop":
                    stopped = True
                    break
                delta = translator.feed(event)
                if delta is not None:
                    yield delta
            if not stopped:
                raise stream_broken(self.name, "the stream ended before message_stop")
            await drain(events)
            yield translator.finish()
        finally:
            await events.aclose()

    async def stream_text(
        self, model: str, request: CompletionRequest, prompt: str | list[int], index: int
    ) -> DeltaStream:
        raise InvalidRequest(
            f"`{model}` is an Anthropic chat model; use /v1/chat/completions.",
            param="model",
            code="unsupported_endpoint",
        )
        yield Delta()  # pragma: no cover - makes this an async generator, like stream_chat

    def _decode(self, name: str | None, data: str) -> _Event:
        try:
            event = _decode_event(data)
        except msgspec.DecodeError as error:  # ValidationError included
            raise stream_broken(self.name, f"an event was not valid ({error})") from error
        if event.type == "error" or name == "error":
            raise error_from_event(msgspec.json.decode(data), self.name, self.http.secrets)
        return event
