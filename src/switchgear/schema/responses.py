"""OpenAI Responses API request bodies (`POST /v1/responses`), decoded by msgspec and
translated into the chat request every other door speaks.

Input items map onto chat messages: `message` items onto messages, call items
(`function_call`, `custom_tool_call`, `local_shell_call`) onto the assistant's `tool_calls`,
their outputs onto `role: tool` messages. Reasoning items are the upstream model's own and are
dropped. How tools translate, and why OpenAI's hosted tools are left out rather than refused,
is in `responses_tools.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import msgspec

from switchgear.schema.errors import InvalidRequest
from switchgear.schema.messages import (
    ContentPart,
    FilePart,
    ImagePart,
    ImageUrl,
    Message,
    RefusalPart,
    TextPart,
)
from switchgear.schema.requests import (
    ChatCompletionRequest,
    JsonSchemaFormat,
    ResponseFormat,
    ResponseFormatJsonObject,
    ResponseFormatJsonSchema,
    ResponseFormatText,
)
from switchgear.schema.responses_tools import (
    CALL_ITEMS,
    HOSTED,
    OUTPUT_ITEMS,
    ToolTable,
    call_of,
    chat_tool_choice,
    output_call_id,
    tool_table,
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
    # Codex's per-turn labels (session, turn, window ids) for OpenAI's side; nothing to act on.
    client_metadata: dict[str, Any] | None = None

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

    def tool_table(self) -> ToolTable:
        """This request's tools as chat tools (see `responses_tools.py`)."""
        table = tool_table(self.tools)
        choice = self.tool_choice
        if not table.tools and isinstance(choice, dict) and choice.get("type") in HOSTED:
            chat_tool_choice(choice, table)  # refuses it: all that is left to force is gone
        return table

    def to_chat(
        self, history: list[dict[str, Any]], table: ToolTable | None = None
    ) -> ChatCompletionRequest:
        """The chat request for `history` (earlier items of the conversation) and this input;
        `table`: this request's `tool_table()`, when the caller has it already."""
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
        table = table or self.tool_table()
        tools = [*table.tools, *table.mcp] or None
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
            tool_choice=chat_tool_choice(self.tool_choice, table) if tools else None,
            parallel_tool_calls=self.parallel_tool_calls if tools else None,
            response_format=_format(self.text),
            metadata=self.metadata,
        )


# Reasoning is the upstream model's own (encrypted for OpenAI's); a hosted tool's call and
# results (searches run inside OpenAI) have no counterpart another model could read.
_NOT_FORWARDED = frozenset(
    {
        "reasoning",
        "web_search_call",
        "file_search_call",
        "code_interpreter_call",
        "image_generation_call",
        "computer_call",
        "computer_call_output",
        "mcp_list_tools",
        "mcp_call",
        "mcp_approval_request",
        "mcp_approval_response",
        "tool_search_call",
        "tool_search_output",
    }
)


def _unsupported(param: str, what: str) -> InvalidRequest:
    return InvalidRequest(
        f"{what} are not supported by this gateway.", param=param, code="unsupported_parameter"
    )


def _append(messages: list[Message], item: dict[str, Any], where: str) -> None:
    kind = item.get("type", "message" if "role" in item else None)
    if kind == "message":
        messages.append(_message(item, where))
    elif kind in CALL_ITEMS:
        call = call_of(item, where)
        last = messages[-1] if messages else None
        if last is not None and last.role == "assistant":
            messages[-1] = msgspec.structs.replace(
                last, tool_calls=[*(last.tool_calls or []), call]
            )
        else:
            messages.append(Message(role="assistant", content=None, tool_calls=[call]))
    elif kind in OUTPUT_ITEMS:
        output = item.get("output")
        text = output if isinstance(output, str) else _output_text(output, where)
        call_id = output_call_id(item, where)
        messages.append(Message(role="tool", tool_call_id=call_id, content=text))
    elif kind in _NOT_FORWARDED:
        return  # the upstream model's own, or a hosted tool's; nothing another model can use
    else:
        raise InvalidRequest(
            f"Invalid input item type {kind!r}: use message, a tool call or its output.",
            param=f"{where}.type",
        )


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
