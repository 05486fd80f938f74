"""Anthropic's Messages API behind the OpenAI format: requests translated on the way up, stream
events translated back into deltas.

A field Anthropic cannot honour is refused with a 400 before anything is sent. JSON output
(`response_format`) is obtained by forcing a tool whose input schema is the requested schema,
the approach Anthropic documents; its input then streams back as the answer's text.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from switchgear.config import ProviderConfig
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
    ContentPart,
    FilePart,
    ImagePart,
    Message,
    RefusalPart,
    ResponseFormatJsonObject,
    ResponseFormatJsonSchema,
    TextPart,
)

DEFAULT_VERSION = "2023-06-01"
# Anthropic requires max_tokens; OpenAI clients often leave it out.
DEFAULT_MAX_TOKENS = 4096
JSON_TOOL = "json_response"
_FINISH = {
    "end_turn": FINISH_STOP,
    "stop_sequence": FINISH_STOP,
    "pause_turn": FINISH_STOP,
    "max_tokens": FINISH_LENGTH,
    "model_context_window_exceeded": FINISH_LENGTH,
    "tool_use": FINISH_TOOL_CALLS,
    "refusal": FINISH_CONTENT_FILTER,
}
_DATA_URL = re.compile(r"^data:(?P<media>[\w.+-]+/[\w.+-]+);base64,(?P<data>.*)$", re.DOTALL)


def _unsupported(param: str, what: str, code: str = "unsupported_parameter") -> InvalidRequest:
    return InvalidRequest(f"Anthropic models do not support {what}.", param=param, code=code)


def reject_unsupported(request: ChatCompletionRequest) -> None:
    if request.n is not None and request.n > 1:
        raise _unsupported("n", "n > 1")
    if request.logprobs or request.top_logprobs:
        raise _unsupported("logprobs", "logprobs")
    if request.seed is not None:
        raise _unsupported("seed", "seed")
    for param in ("presence_penalty", "frequency_penalty"):
        if getattr(request, param):
            raise _unsupported(param, param)
    if request.logit_bias:
        raise _unsupported("logit_bias", "logit_bias")
    if request.functions or request.function_call:
        raise _unsupported("functions", "the deprecated `functions` (use `tools`)")
    if request.audio is not None or (request.modalities and "audio" in request.modalities):
        raise _unsupported("modalities", "audio output")
    for param in ("prediction", "web_search_options", "reasoning_effort", "verbosity"):
        if getattr(request, param) is not None:
            raise _unsupported(param, f"`{param}`")
    if request.temperature is not None and request.temperature > 1:
        raise _unsupported("temperature", "temperature above 1", code="unsupported_value")
    wants_json = isinstance(request.response_format, ResponseFormatJsonObject)
    wants_json |= isinstance(request.response_format, ResponseFormatJsonSchema)
    if wants_json and request.tools:
        raise _unsupported("response_format", "`response_format` together with `tools`")


# -- request translation --------------------------------------------------------------------


def messages_body(model: str, request: ChatCompletionRequest) -> tuple[dict[str, Any], bool]:
    """The Messages API body, and whether the answer comes back as a forced JSON tool call."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for position, message in enumerate(request.messages):
        if message.role in ("system", "developer"):
            if message.has_non_text_parts():
                raise _unsupported(f"messages[{position}].content", "non-text system content")
            if message.text():
                system.append(message.text())
            continue
        role, blocks = _turn(message, position)
        if not blocks:
            continue  # Anthropic refuses empty messages; an empty turn says nothing anyway
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)  # Anthropic wants roles to alternate
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:
        # Tool results must open a user turn, before any text merged into it.
        turn["content"].sort(key=lambda block: block["type"] != "tool_result")
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": request.output_limit() or DEFAULT_MAX_TOKENS,
        "messages": turns,
        "stream": True,
    }
    if system:
        body["system"] = "\n\n".join(system)
    if request.stop_sequences():
        body["stop_sequences"] = request.stop_sequences()
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.user:
        body["metadata"] = {"user_id": request.user}
    if request.tools:
        body["tools"] = [_tool(tool, k) for k, tool in enumerate(request.tools)]
        choice = _tool_choice(request.tool_choice, request.parallel_tool_calls)
        if choice is not None:
            body["tool_choice"] = choice
    fmt = request.response_format
    if isinstance(fmt, ResponseFormatJsonObject | ResponseFormatJsonSchema):
        tool: dict[str, Any] = {"name": JSON_TOOL, "input_schema": {"type": "object"}}
        if isinstance(fmt, ResponseFormatJsonSchema):
            tool["name"] = fmt.json_schema.name
            tool["input_schema"] = fmt.json_schema.schema or tool["input_schema"]
            if fmt.json_schema.description:
                tool["description"] = fmt.json_schema.description
        body["tools"] = [tool]
        body["tool_choice"] = {"type": "tool", "name": tool["name"]}
        return body, True
    return body, False


def _turn(message: Message, position: int) -> tuple[str, list[dict[str, Any]]]:
    where = f"messages[{position}]"
    if message.role == "function" or message.function_call is not None:
        raise _unsupported(where, "the deprecated function messages (use tools)")
    if message.role == "tool":
        if not message.tool_call_id:
            raise InvalidRequest("A tool message needs `tool_call_id`.", param=f"{where}")
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id}
        content = _blocks(message.content, where)
        if content:
            result["content"] = content
        return "user", [result]
    blocks = _blocks(message.content, where)
    for j, call in enumerate(message.tool_calls or ()):
        param = f"{where}.tool_calls[{j}].function.arguments"
        try:
            arguments = msgspec.json.decode(call.function.arguments or "{}")
        except msgspec.DecodeError:
            arguments = None
        if not isinstance(arguments, dict):
            raise InvalidRequest("Tool call arguments must be a JSON object.", param=param)
        blocks.append(
            {"type": "tool_use", "id": call.id, "name": call.function.name, "input": arguments}
        )
    return ("assistant" if message.role == "assistant" else "user"), blocks


def _blocks(content: str | list[ContentPart] | None, where: str) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[dict[str, Any]] = []
    for k, part in enumerate(content):
        if isinstance(part, TextPart | RefusalPart):
            text = part.text if isinstance(part, TextPart) else part.refusal
            if text:
                blocks.append({"type": "text", "text": text})
        elif isinstance(part, ImagePart):
            blocks.append(_image(part.image_url.url, f"{where}.content[{k}].image_url.url"))
        elif isinstance(part, FilePart):
            blocks.append(_document(part.file, f"{where}.content[{k}].file"))
        else:
            raise _unsupported(f"{where}.content[{k}]", "audio input")
    return blocks


def _image(url: str, param: str) -> dict[str, Any]:
    match = _DATA_URL.match(url)
    if match:
        source = {"type": "base64", "media_type": match["media"], "data": match["data"]}
    elif url.startswith(("https://", "http://")):
        source = {"type": "url", "url": url}
    else:
        raise InvalidRequest("An image must be an http(s) URL or a base64 data URL.", param=param)
    return {"type": "image", "source": source}


def _document(file: dict[str, Any], param: str) -> dict[str, Any]:
    # Only inline PDFs: a `file_id` names a file in OpenAI's own storage.
    match = _DATA_URL.match(str(file.get("file_data", "")))
    if match is None or match["media"] != "application/pdf":
        raise _unsupported(param, "files other than inline base64 PDFs (`file_data`)")
    source = {"type": "base64", "media_type": "application/pdf", "data": match["data"]}
    return {"type": "document", "source": source}


def _tool(tool: dict[str, Any], k: int) -> dict[str, Any]:
    function = tool.get("function")
    if tool.get("type") != "function" or not isinstance(function, dict):
        raise _unsupported(f"tools[{k}]", "tools other than functions")
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequest("A function tool needs a name.", param=f"tools[{k}].function.name")
    out: dict[str, Any] = {
        "name": name,
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        out["description"] = function["description"]
    return out


def _tool_choice(
    choice: str | dict[str, Any] | None, parallel: bool | None
) -> dict[str, Any] | None:
    mapped: dict[str, Any] | None
    if choice is None:
        mapped = None if parallel is not False else {"type": "auto"}
    elif isinstance(choice, str) and choice in ("auto", "required", "none"):
        mapped = {"type": {"auto": "auto", "required": "any", "none": "none"}[choice]}
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        mapped = {"type": "tool", "name": choice["function"].get("name")}
    else:
        raise InvalidRequest(
            "`tool_choice` must be auto, required, none or a function.", param="tool_choice"
        )
    if mapped is not None and parallel is False and mapped["type"] != "none":
        mapped["disable_parallel_tool_use"] = True
    return mapped


# -- stream translation ---------------------------------------------------------------------


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
        return Delta(finish_reason=reason, usage=usage)


class AnthropicProvider:
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

    async def stream_chat(self, model: str, request: ChatCompletionRequest) -> AsyncIterator[Delta]:
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
    ) -> AsyncIterator[Delta]:
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
