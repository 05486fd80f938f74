"""Providers that speak OpenAI's wire format: OpenAI itself, Azure OpenAI, and the engines that
copy it (vLLM, Ollama, TGI, llama-server, LiteLLM...).

Requests go upstream as the client sent them, with the upstream model name and always
streamed, so one parser serves both modes and usage is always reported. `n`, `logprobs` and
`top_logprobs` pass through: each choice keeps its own index, and its tokens' logprobs ride on
its deltas (chat's per-token objects and legacy completions' parallel lists alike).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any
from urllib.parse import quote

import aiohttp
import msgspec

from switchgear.providers.base import ChatAndText, DeltaStream
from switchgear.providers.config import ProviderConfig
from switchgear.providers.http_errors import (
    error_from_event,
    error_from_exception,
    error_from_response,
    stream_broken,
)
from switchgear.providers.sse_client import UpstreamClient, drain
from switchgear.schema.errors import InvalidRequest
from switchgear.schema.generation import Delta, TokenLogprob, ToolCallDelta, TopLogprob, Usage
from switchgear.schema.requests import ChatCompletionRequest, CompletionRequest

# Used when an azure_openai provider names no `api_version`: the latest GA version as of
# writing, the first to report usage in streams.
AZURE_DEFAULT_API_VERSION = "2024-10-21"


class _FunctionDelta(msgspec.Struct):
    name: str | None = None
    arguments: str | None = None


class _ToolCallChunk(msgspec.Struct):
    index: int | None = None
    id: str | None = None
    function: _FunctionDelta | None = None


class _MessageDelta(msgspec.Struct):
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[_ToolCallChunk] | None = None


class _TopLogprob(msgspec.Struct):
    token: str
    logprob: float | None = None
    bytes: list[int] | None = None


class _TokenLogprob(msgspec.Struct):
    token: str
    logprob: float | None = None
    bytes: list[int] | None = None
    top_logprobs: list[_TopLogprob] | None = None


class _Logprobs(msgspec.Struct):
    # chat completions: one object per token
    content: list[_TokenLogprob] | None = None
    refusal: list[_TokenLogprob] | None = None
    # legacy completions: parallel lists (`text_offset` is recomputed at the API edge)
    tokens: list[str] | None = None
    token_logprobs: list[float | None] | None = None
    top_logprobs: list[dict[str, float] | None] | None = None


class _Choice(msgspec.Struct):
    index: int = 0
    delta: _MessageDelta | None = None  # chat completions
    text: str | None = None  # text completions
    finish_reason: str | None = None
    logprobs: _Logprobs | None = None


class _Usage(msgspec.Struct):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class _Chunk(msgspec.Struct):
    choices: list[_Choice] | None = None
    usage: _Usage | None = None
    # vLLM, LiteLLM and others report a failure inside a stream this way.
    error: Any = None


_decode_chunk = msgspec.json.Decoder(_Chunk).decode


_wire_names: dict[type, tuple[tuple[str, str], ...]] = {}


def _fields_of(kind: type[msgspec.Struct]) -> tuple[tuple[str, str], ...]:
    """(attribute, JSON name) per field. Cached: `msgspec.structs.fields` evaluates the type
    annotations on every call, which cost ~0.8 ms of CPU per proxied request."""
    found = _wire_names.get(kind)
    if found is None:
        found = _wire_names[kind] = tuple(
            (f.name, f.encode_name) for f in msgspec.structs.fields(kind)
        )
    return found


def to_wire(value: Any) -> Any:
    """A request struct as JSON-ready values, leaving out unset (None) fields.

    Plain dicts inside (tool schemas, metadata) are the client's own JSON and go as they came:
    a `null` in a JSON schema means something.
    """
    if isinstance(value, msgspec.Struct):
        config = value.__struct_config__
        out: dict[str, Any] = {}
        if isinstance(config.tag_field, str):
            out[config.tag_field] = config.tag
        for name, wire in _fields_of(type(value)):
            item = getattr(value, name)
            if item is not None:
                out[wire] = to_wire(item)
        return out
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    return value


def _unsupported(param: str, what: str) -> InvalidRequest:
    return InvalidRequest(
        f"This gateway does not support {what} for upstream models.",
        param=param,
        code="unsupported_parameter",
    )


def reject_unsupported_chat(request: ChatCompletionRequest) -> None:
    """Fields whose answer a `Delta` cannot carry are refused, never silently dropped."""
    if request.functions or request.function_call:
        raise _unsupported("functions", "the deprecated `functions` (use `tools`)")
    if request.audio is not None or (request.modalities and "audio" in request.modalities):
        raise _unsupported("modalities", "audio output")


def reject_unsupported_text(request: CompletionRequest) -> None:
    if request.best_of is not None and request.best_of > 1:
        raise _unsupported("best_of", "best_of > 1")  # upstreams refuse it with streaming
    if request.logprobs is not None and request.echo:
        # The gateway echoes the prompt itself, so it has no logprobs for the prompt's tokens.
        raise _unsupported("echo", "`echo` together with `logprobs`")


def chat_body(model: str, request: ChatCompletionRequest) -> dict[str, Any]:
    body: dict[str, Any] = to_wire(request)
    body["model"] = model
    body["stream"] = True
    body["stream_options"] = {"include_usage": True}
    return body


def text_body(model: str, request: CompletionRequest, prompt: str | list[int]) -> dict[str, Any]:
    body: dict[str, Any] = to_wire(request)
    body["model"] = model
    body["prompt"] = prompt
    body["stream"] = True
    body["stream_options"] = {"include_usage": True}
    # The API layer prepends the prompt itself; an upstream echo would repeat it.
    body.pop("echo", None)
    return body


class OpenAICompatProvider(ChatAndText):
    """One OpenAI-compatible (or Azure OpenAI) endpoint, as configured under `providers`."""

    def __init__(self, name: str, settings: ProviderConfig) -> None:
        if settings.kind not in ("openai_compat", "azure_openai"):
            raise ValueError(f"provider {name!r}: kind {settings.kind!r} is not OpenAI's format")
        self.name = name
        self.settings = settings
        self.azure = settings.kind == "azure_openai"
        self._base = settings.base_url.rstrip("/")
        self.http = UpstreamClient(name, settings)

    async def start(self) -> None:
        # Read once: a key file is not re-read per request, so rotating it needs a restart.
        key = self.settings.api_key()
        headers = {"accept": "text/event-stream", "content-type": "application/json"}
        headers.update(self.settings.headers)
        if key:
            if self.azure:
                headers["api-key"] = key
            else:
                headers["authorization"] = f"Bearer {key}"
        self.http.open(headers, key)

    async def aclose(self) -> None:
        await self.http.close()

    def is_ready(self) -> bool:
        return self.http.is_open()

    def url(self, model: str, path: str) -> str:
        """`path` is `chat/completions`, `completions` or `embeddings`."""
        if not self.azure:
            return f"{self._base}/{path}"
        version = self.settings.api_version or AZURE_DEFAULT_API_VERSION
        deployment = quote(model, safe="")
        return f"{self._base}/openai/deployments/{deployment}/{path}?api-version={quote(version)}"

    async def stream_chat(self, model: str, request: ChatCompletionRequest) -> DeltaStream:
        reject_unsupported_chat(request)
        body = msgspec.json.encode(chat_body(model, request))
        # `aclosing`: a client that hangs up must close the upstream connection now, not at GC.
        async with aclosing(self._stream(self.url(model, "chat/completions"), body, 0)) as deltas:
            async for delta in deltas:
                yield delta

    async def stream_text(
        self, model: str, request: CompletionRequest, prompt: str | list[int], index: int
    ) -> DeltaStream:
        reject_unsupported_text(request)
        body = msgspec.json.encode(text_body(model, request, prompt))
        # OpenAI numbers the choices of several prompts prompt by prompt: `n` for each.
        first = index * (request.n or 1)
        async with aclosing(self._stream(self.url(model, "completions"), body, first)) as deltas:
            async for delta in deltas:
                yield delta

    async def _stream(self, url: str, body: bytes, first: int) -> AsyncGenerator[Delta, None]:
        """`first`: the gateway's index of the upstream's choice 0."""
        events = self.http.post(url, body)
        finishes: dict[int, str] = {}
        started: set[int] = set()
        usage: Usage | None = None
        done = False
        try:
            async for event, data in events:
                if data == "[DONE]":
                    done = True
                    break
                chunk = self._decode(event, data)
                if chunk.usage is not None:
                    usage = Usage(
                        chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0
                    )
                for choice in chunk.choices or ():
                    index = first + choice.index
                    delta = _delta_of(choice, index)
                    if delta is not None:
                        started.add(index)
                        yield delta
                    # The finishes wait for the end: usage comes in a chunk of its own after.
                    if choice.finish_reason:
                        finishes[index] = choice.finish_reason
            if done:
                # Several real servers end with [DONE] and never send a finish_reason: the
                # answer is complete all the same.
                finishes |= {index: "stop" for index in started - finishes.keys()}
            if not finishes or not started <= finishes.keys():
                why = "nothing before [DONE]" if done else "the stream ended early"
                raise stream_broken(self.name, why)
            if done:
                await drain(events)
            last = max(finishes)
            for index in sorted(finishes):  # usage once, on the answer's very last delta
                yield Delta(
                    finish_reason=finishes[index],
                    usage=usage if index == last else None,
                    index=index,
                )
        finally:
            await events.aclose()

    async def embeddings(self, model: str, body: dict[str, Any]) -> dict[str, Any]:
        """One `POST /embeddings`, answered whole (OpenAI does not stream embeddings)."""
        client = self.http._client  # the provider's pooled session, shared with the chats
        if client is None:
            raise RuntimeError(f"provider {self.name!r} is not started")
        payload = msgspec.json.encode({"model": model, **body})
        url, secrets = self.url(model, "embeddings"), self.http.secrets
        answered = False
        try:
            headers = {"accept": "application/json"}
            async with client.post(url, data=payload, headers=headers) as response:
                if response.status >= 300:
                    raise await error_from_response(response, self.name, secrets)
                answered = True
                raw = await response.read()
        except (TimeoutError, aiohttp.ClientError) as error:
            raise error_from_exception(error, self.name, streaming=answered) from error
        try:
            decoded = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            decoded = None
        if not isinstance(decoded, dict) or not isinstance(decoded.get("data"), list):
            raise stream_broken(self.name, "its answer was not an embeddings list")
        return decoded

    def _decode(self, event: str | None, data: str) -> _Chunk:
        try:
            chunk = _decode_chunk(data)
        except msgspec.DecodeError as error:  # ValidationError included
            raise stream_broken(self.name, f"an event was not a valid chunk ({error})") from error
        if chunk.error is not None or event == "error":
            payload = {"error": chunk.error} if chunk.error is not None else {}
            raise error_from_event(payload, self.name, self.http.secrets)
        return chunk


def _delta_of(choice: _Choice, index: int) -> Delta | None:
    """The text, tool call and logprob pieces of one choice; None when it carries none."""
    tokens = _tokens_of(choice.logprobs)
    if choice.text is not None:
        return (
            Delta(text=choice.text, index=index, logprobs=tokens) if choice.text or tokens else None
        )
    message = choice.delta
    if message is None:
        return Delta(index=index, logprobs=tokens) if tokens else None
    # A refusal is the model's answer, in a field a `Delta` lacks; shown as text, not lost.
    text = (message.content or "") + (message.refusal or "")
    calls = tuple(
        ToolCallDelta(
            index=position if call.index is None else call.index,
            id=call.id,
            name=call.function.name if call.function else None,
            arguments=(call.function.arguments or "") if call.function else "",
        )
        for position, call in enumerate(message.tool_calls or ())
        if call.id or (call.function and (call.function.name or call.function.arguments))
    )
    if not text and not calls and not tokens:
        return None
    return Delta(text=text, index=index, tool_calls=calls, logprobs=tokens)


def _tokens_of(logprobs: _Logprobs | None) -> tuple[TokenLogprob, ...]:
    if logprobs is None:
        return ()
    if logprobs.tokens is not None:  # legacy completions
        values = logprobs.token_logprobs or []
        tops = logprobs.top_logprobs or []
        return tuple(
            TokenLogprob(
                token,
                values[i] if i < len(values) else None,
                top=tuple(
                    TopLogprob(text, value)
                    for text, value in ((tops[i] if i < len(tops) else None) or {}).items()
                ),
            )
            for i, token in enumerate(logprobs.tokens)
        )
    # The refusal's tokens follow the content's, as its text does in `_delta_of`.
    return tuple(
        TokenLogprob(
            item.token,
            item.logprob,
            None if item.bytes is None else tuple(item.bytes),
            tuple(
                TopLogprob(top.token, top.logprob, None if top.bytes is None else tuple(top.bytes))
                for top in item.top_logprobs or ()
            ),
        )
        for item in (*(logprobs.content or ()), *(logprobs.refusal or ()))
    )
