"""An OpenAI chat request as an Anthropic Messages API body, the way up.

A field Anthropic cannot honour is refused with a 400 before anything is sent. JSON output
(`response_format`) is obtained by forcing a tool whose input schema is the requested schema,
the approach Anthropic documents; its input then streams back as the answer's text.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from switchgear.schema.errors import InvalidRequest
from switchgear.schema.requests import (
    ChatCompletionRequest,
    ContentPart,
    FilePart,
    ImagePart,
    Message,
    RefusalPart,
    ResponseFormatJsonObject,
    ResponseFormatJsonSchema,
    TextPart,
)

# Anthropic requires max_tokens; OpenAI clients often leave it out.
DEFAULT_MAX_TOKENS = 4096
JSON_TOOL = "json_response"
_DATA_URL = re.compile(r"^data:(?P<media>[\w.+-]+/[\w.+-]+);base64,(?P<data>.*)$", re.DOTALL)


def _unsupported(param: str, what: str, code: str = "unsupported_parameter") -> InvalidRequest:
    return InvalidRequest(f"Anthropic models do not support {what}.", param=param, code=code)


def reject_unsupported(request: ChatCompletionRequest) -> None:
    # The Messages API has one choice and no token probabilities; OpenAI-style upstreams do.
    elsewhere = "; send it to a model on an OpenAI-compatible or Azure OpenAI provider"
    if request.n is not None and request.n > 1:
        raise _unsupported("n", "n > 1" + elsewhere)
    if request.logprobs or request.top_logprobs:
        raise _unsupported("logprobs", "logprobs" + elsewhere)
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
