"""OpenAI Responses API request bodies (`POST /v1/responses`), decoded by msgspec and
translated into the chat request every other door speaks.

Input items map onto chat messages: `message` items onto messages, `function_call` items onto
the assistant's `tool_calls`, `function_call_output` items onto `role: tool` messages.
Reasoning items are the upstream model's own and are dropped. OpenAI's hosted tools
(web search, file search, computer use, code interpreter) run on OpenAI's side; no other
provider can run them, so they are refused with a 400 naming them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import msgspec

from switchgear.schema.errors import InvalidRequest
from switchgear.schema.messages import (
    ContentPart,
    FilePart,
    FunctionCall,
    ImagePart,
    ImageUrl,
    Message,
    RefusalPart,
    TextPart,
    ToolCall,
)
from switchgear.schema.requests import (
    ChatCompletionRequest,
    JsonSchemaFormat,
    ResponseFormat,
    ResponseFormatJsonObject,
    ResponseFormatJsonSchema,
    ResponseFormatText,
)

Temperature = Annotated[float, msgspec.Meta(ge=0.0, le=2.0)]
Probability = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]


class TextFormat(msgspec.Struct, kw_only=True):
    type: Literal["text", "json_object", "json_schema"] = "text"
    name: str | None = None
    schema: dict[str, Any] | None = None
    description: str | None = None
    strict: bool | None = None


class TextOptions(msgspec.Struct, kw_only=True):
    format: TextFormat | None = None
    verbosity: str | None = None


class ResponsesRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`POST /v1/responses`."""

    model: Annotated[str, msgspec.Meta(min_length=1)]
    input: str | list[dict[str, Any]] | None = None
    instructions: str | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    previous_response_id: str | None = None
    store: bool | None = None
    stream: bool | None = None
    stream_options: dict[str, Any] | None = None
    text: TextOptions | None = None
    max_output_tokens: Annotated[int, msgspec.Meta(ge=1)] | None = None
    temperature: Temperature | None = None
    top_p: Probability | None = None
    user: str | None = None
    metadata: dict[str, str] | None = None
    # Accepted as the SDKs send them; they only change what OpenAI's own models do.
    reasoning: dict[str, Any] | None = None
    truncation: Literal["auto", "disabled"] | None = None
    include: list[str] | None = None
    service_tier: str | None = None
    prompt_cache_key: str | None = None
    safety_identifier: str | None = None
    max_tool_calls: Annotated[int, msgspec.Meta(ge=1)] | None = None
    background: bool | None = None
    top_logprobs: int | None = None
    conversation: Any = None
    prompt: dict[str, Any] | None = None

    def input_items(self) -> list[dict[str, Any]]:
        """This request's own input as items (a string is one user message)."""
        if self.input is None:
            return []
        if isinstance(self.input, str):
            return [{"type": "message", "role": "user", "content": self.input}]
        return list(self.input)

    def reject_unsupported(self) -> None:
        if self.background:
            raise _unsupported("background", "Background responses")
        if self.conversation is not None:
            raise _unsupported("conversation", "Conversations (use previous_response_id)")
        if self.prompt is not None:
            raise _unsupported("prompt", "Stored prompt templates")
        if self.top_logprobs:
            raise _unsupported("top_logprobs", "Log probabilities")
        if self.input is None and self.previous_response_id is None:
            raise InvalidRequest("Missing required parameter: 'input'.", param="input")

    def to_chat(self, history: list[dict[str, Any]]) -> ChatCompletionRequest:
        """The chat request for `history` (earlier items of the conversation) and this input."""
        self.reject_unsupported()
        messages: list[Message] = []
        if self.instructions:
            messages.append(Message(role="system", content=self.instructions))
        items = [*history, *self.input_items()]
        for position, item in enumerate(items):
            where = f"input[{position - len(history)}]" if position >= len(history) else "history"
            _append(messages, item, where)
        if not any(m.role != "system" for m in messages):
            raise InvalidRequest("The input holds no message.", param="input")
        tools = [_tool(t, k) for k, t in enumerate(self.tools or ())] or None
        return ChatCompletionRequest(
            model=self.model,
            messages=messages,
            max_completion_tokens=self.max_output_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            stream=bool(self.stream),
            user=self.user,
            safety_identifier=self.safety_identifier,
            tools=tools,
            tool_choice=_tool_choice(self.tool_choice, tools) if tools else None,
            parallel_tool_calls=self.parallel_tool_calls if tools else None,
            response_format=_format(self.text),
            metadata=self.metadata,
        )


def _unsupported(param: str, what: str) -> InvalidRequest:
    return InvalidRequest(
        f"{what} are not supported by this gateway.", param=param, code="unsupported_parameter"
    )


def _append(messages: list[Message], item: dict[str, Any], where: str) -> None:
    kind = item.get("type", "message" if "role" in item else None)
    if kind == "message":
        messages.append(_message(item, where))
    elif kind == "function_call":
        call = ToolCall(
            id=_string(item, "call_id", where),
            function=FunctionCall(_string(item, "name", where), str(item.get("arguments") or "{}")),
        )
        last = messages[-1] if messages else None
        if last is not None and last.role == "assistant":
            messages[-1] = msgspec.structs.replace(
                last, tool_calls=[*(last.tool_calls or []), call]
            )
        else:
            messages.append(Message(role="assistant", content=None, tool_calls=[call]))
    elif kind == "function_call_output":
        output = item.get("output")
        text = output if isinstance(output, str) else _output_text(output, where)
        messages.append(
            Message(role="tool", tool_call_id=_string(item, "call_id", where), content=text)
        )
    elif kind == "reasoning":
        return  # the upstream model's own; nothing another model can use
    else:
        raise InvalidRequest(
            f"Invalid input item type {kind!r}: use message, function_call or "
            "function_call_output.",
            param=f"{where}.type",
        )


def _string(item: dict[str, Any], name: str, where: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidRequest(
            f"Missing required parameter: '{where}.{name}'.", param=f"{where}.{name}"
        )
    return value


def _message(item: dict[str, Any], where: str) -> Message:
    role = item.get("role")
    if role not in ("user", "assistant", "system", "developer"):
        raise InvalidRequest(
            f"Invalid value for '{where}.role': expected user, assistant, system or developer.",
            param=f"{where}.role",
        )
    content = item.get("content")
    if isinstance(content, str):
        return Message(role=role, content=content)
    if not isinstance(content, list):
        raise InvalidRequest(
            f"Invalid type for '{where}.content': expected a string or a list of parts.",
            param=f"{where}.content",
        )
    parts = [_part(part, f"{where}.content[{k}]") for k, part in enumerate(content)]
    if role == "assistant":
        refusals = [p.refusal for p in parts if isinstance(p, RefusalPart)]
        text = "".join(p.text for p in parts if isinstance(p, TextPart))
        return Message(role="assistant", content=text or None, refusal="".join(refusals) or None)
    if all(isinstance(part, TextPart) for part in parts):
        return Message(role=role, content="".join(p.text for p in parts if isinstance(p, TextPart)))
    return Message(role=role, content=parts)


def _part(part: Any, where: str) -> ContentPart:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind in ("input_text", "output_text", "text") and isinstance(part.get("text"), str):
        return TextPart(text=part["text"])
    if kind == "refusal" and isinstance(part.get("refusal"), str):
        return RefusalPart(refusal=part["refusal"])
    if kind == "input_image" and isinstance(part.get("image_url"), str):
        return ImagePart(image_url=ImageUrl(url=part["image_url"], detail=part.get("detail")))
    if kind == "input_file" and isinstance(part.get("file_data"), str):
        file = {"file_data": part["file_data"], "filename": part.get("filename") or "file"}
        return FilePart(file=file)
    if kind in ("input_image", "input_file"):
        raise _unsupported(where, "Uploaded file ids (send the data inline)")
    raise InvalidRequest(f"Invalid content part at '{where}'.", param=where)


def _output_text(output: Any, where: str) -> str:
    if isinstance(output, list):
        parts = [_part(p, f"{where}.output[{k}]") for k, p in enumerate(output)]
        return "".join(p.text for p in parts if isinstance(p, TextPart))
    raise InvalidRequest(f"Invalid type for '{where}.output'.", param=f"{where}.output")


def _tool(tool: dict[str, Any], k: int) -> dict[str, Any]:
    kind = tool.get("type")
    if kind != "function":
        raise _unsupported(f"tools[{k}].type", f"Hosted tools of type {kind!r}")
    name = tool.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequest(
            f"Missing required parameter: 'tools[{k}].name'.", param=f"tools[{k}].name"
        )
    function: dict[str, Any] = {
        "name": name,
        "parameters": tool.get("parameters") or {"type": "object", "properties": {}},
    }
    if tool.get("description"):
        function["description"] = tool["description"]
    if tool.get("strict") is not None:
        function["strict"] = tool["strict"]
    return {"type": "function", "function": function}


def _tool_choice(choice: str | dict[str, Any] | None, tools: list[dict[str, Any]]) -> Any:
    if choice is None or choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function":
        name = choice.get("name")
        if not any(t["function"]["name"] == name for t in tools):
            raise InvalidRequest(
                f"Tool choice '{name}' not found in 'tools' parameter.", param="tool_choice"
            )
        return {"type": "function", "function": {"name": name}}
    raise InvalidRequest(
        "Invalid value for 'tool_choice': use auto, none, required or a function.",
        param="tool_choice",
    )


def _format(text: TextOptions | None) -> ResponseFormat | None:
    fmt = text.format if text is not None else None
    if fmt is None or fmt.type == "text":
        return None if fmt is None else ResponseFormatText()
    if fmt.type == "json_object":
        return ResponseFormatJsonObject()
    if not fmt.name:
        raise InvalidRequest(
            "Missing required parameter: 'text.format.name'.", param="text.format.name"
        )
    schema = JsonSchemaFormat(fmt.name, fmt.schema, fmt.description, fmt.strict)
    return ResponseFormatJsonSchema(json_schema=schema)


@dataclass(slots=True, frozen=True)
class StoredResponseRequest:
    """`GET`/`DELETE /v1/responses/{id}` and `GET /v1/responses/{id}/input_items`: the
    caller's own stored responses. A trip like any other (admitted, rate limited, ledgered)."""

    kind: ClassVar[str] = "responses.stored"
    response_id: str
    action: Literal["get", "delete", "input_items"]
    limit: int = 20
    order: Literal["asc", "desc"] = "desc"
    after: str | None = None

    def token_estimate(self) -> int:
        return 0
