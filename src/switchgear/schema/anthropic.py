"""Anthropic Messages API request bodies (`POST /v1/messages`, `/v1/messages/count_tokens`),
decoded by msgspec and translated into the chat request every other door speaks.

The translation is the inverse of `providers/anthropic_messages.py` (the way up): system
blocks become a system message, `tool_result` blocks become `role: tool` messages placed
before the rest of their user turn, `tool_use` blocks become assistant `tool_calls`. Prompt
caching hints (`cache_control`) and the signatures of earlier thinking blocks mean nothing to
another provider and are dropped; a field that would change the answer and cannot be honoured
is refused with a 400 naming it.

Claude Code (2.1) also sends `role: "system"` turns between the others (its environment
notes), `output_config` (effort, structured output) and tools marked `defer_loading`; see
`tests/clients/test_claude_code.py` for a whole request as it arrives.
"""

from __future__ import annotations

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
    TextPart,
    ToolCall,
)
from switchgear.schema.requests import (
    ChatCompletionRequest,
    JsonSchemaFormat,
    ResponseFormatJsonSchema,
)

Probability = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
CacheControl = dict[str, Any] | None


class TextBlock(msgspec.Struct, tag_field="type", tag="text"):
    text: str
    cache_control: CacheControl = None
    citations: list[dict[str, Any]] | None = None


class ImageBlock(msgspec.Struct, tag_field="type", tag="image"):
    source: dict[str, Any]
    cache_control: CacheControl = None


class DocumentBlock(msgspec.Struct, tag_field="type", tag="document"):
    source: dict[str, Any]
    title: str | None = None
    context: str | None = None
    citations: dict[str, Any] | None = None
    cache_control: CacheControl = None


class ToolUseBlock(msgspec.Struct, tag_field="type", tag="tool_use"):
    id: str
    name: str
    input: dict[str, Any]
    cache_control: CacheControl = None


class ToolResultBlock(msgspec.Struct, tag_field="type", tag="tool_result"):
    tool_use_id: str
    content: str | list[TextBlock | ImageBlock | DocumentBlock] | None = None
    is_error: bool | None = None
    cache_control: CacheControl = None


class ThinkingBlock(msgspec.Struct, tag_field="type", tag="thinking"):
    thinking: str
    signature: str | None = None


class RedactedThinkingBlock(msgspec.Struct, tag_field="type", tag="redacted_thinking"):
    data: str


Block = (
    TextBlock
    | ImageBlock
    | DocumentBlock
    | ToolUseBlock
    | ToolResultBlock
    | ThinkingBlock
    | RedactedThinkingBlock
)


class AnthropicMessage(msgspec.Struct):
    # `system` turns mid-conversation: what Claude Code sends for its environment notes.
    role: Literal["user", "assistant", "system"]
    content: str | list[Block]


class AnthropicTool(msgspec.Struct, kw_only=True):
    """A client tool. Anthropic's server tools (`web_search_…`, `bash_…`) carry a `type` and
    run on Anthropic's side; no other provider can run them, so they are refused."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    input_schema: dict[str, Any]
    description: str | None = None
    type: str | None = None
    cache_control: CacheControl = None
    strict: bool | None = None
    # Anthropic keeps a deferred tool out of the model's context until a tool search brings
    # it in; no other provider has that search, so a deferred tool is not forwarded at all.
    defer_loading: bool | None = None


class ToolChoice(msgspec.Struct, kw_only=True):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class Metadata(msgspec.Struct):
    user_id: str | None = None


class OutputConfig(msgspec.Struct, kw_only=True):
    """`output_config`: `effort` tunes how hard Anthropic's own models think (nothing another
    model can use, like `thinking`); `format` asks for JSON output and is honoured."""

    effort: str | None = None
    format: dict[str, Any] | None = None

    def response_format(self) -> ResponseFormatJsonSchema | None:
        if self.format is None:
            return None
        if self.format.get("type") != "json_schema" or not isinstance(
            self.format.get("schema"), dict
        ):
            raise InvalidRequest(
                'output_config.format: use {"type": "json_schema", "schema": {...}}.',
                param="output_config.format",
            )
        return ResponseFormatJsonSchema(JsonSchemaFormat("output", self.format["schema"]))


class _Common(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    model: Annotated[str, msgspec.Meta(min_length=1)]
    messages: Annotated[list[AnthropicMessage], msgspec.Meta(min_length=1)]
    system: str | list[TextBlock] | None = None
    tools: list[AnthropicTool] | None = None
    tool_choice: ToolChoice | None = None
    # Extended thinking is a feature of Anthropic's own models: accepted, not forwarded.
    thinking: dict[str, Any] | None = None
    mcp_servers: list[dict[str, Any]] | None = None
    output_config: OutputConfig | None = None

    def chat_messages(self) -> list[Message]:
        messages: list[Message] = []
        system = _system_text(self.system)
        if system:
            messages.append(Message(role="system", content=system))
        for position, message in enumerate(self.messages):
            messages.extend(_translate(message, position))
        return messages

    def chat_tools(self) -> tuple[list[dict[str, Any]] | None, Any, bool | None]:
        """(tools, tool_choice, parallel_tool_calls) in OpenAI's shape."""
        if self.mcp_servers:
            raise _unsupported("mcp_servers", "`mcp_servers` (use the gateway's /mcp door)")
        choice = self.tool_choice
        forced = choice.name if choice is not None and choice.type == "tool" else None
        tools = [
            _tool(tool, k)
            for k, tool in enumerate(self.tools or ())
            if not tool.defer_loading or tool.name == forced
        ] or None
        if choice is None:
            return tools, None, None
        parallel = False if choice.disable_parallel_tool_use else None
        if choice.type == "tool":
            if not choice.name:
                raise InvalidRequest("tool_choice.name: Field required", param="tool_choice.name")
            if not any(tool.name == choice.name for tool in self.tools or ()):
                raise InvalidRequest(
                    f"Tool '{choice.name}' not found in tools.", param="tool_choice.name"
                )
            named = {"type": "function", "function": {"name": choice.name}}
            return tools, named, parallel
        if choice.type == "none":
            return tools, "none", None
        if not tools:
            return None, None, None  # auto/any without tools mean nothing
        return tools, {"auto": "auto", "any": "required"}[choice.type], parallel


class MessagesRequest(_Common, forbid_unknown_fields=True, kw_only=True):
    """`POST /v1/messages`."""

    max_tokens: Annotated[int, msgspec.Meta(ge=1)]
    stop_sequences: list[str] | None = None
    stream: bool | None = None
    temperature: Probability | None = None
    top_p: Probability | None = None
    top_k: Annotated[int, msgspec.Meta(ge=0)] | None = None
    metadata: Metadata | None = None
    service_tier: str | None = None
    container: Any = None
    context_management: dict[str, Any] | None = None

    def to_chat(self) -> ChatCompletionRequest:
        tools, tool_choice, parallel = self.chat_tools()
        return ChatCompletionRequest(
            model=self.model,
            messages=self.chat_messages(),
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            # OpenAI takes at most four; a chat request built here is not decoded again, and
            # the providers pass the whole list on (llama.cpp and Anthropic take any number).
            stop=list(self.stop_sequences) if self.stop_sequences else None,
            stream=bool(self.stream),
            user=self.metadata.user_id if self.metadata else None,
            tools=tools,
            tool_choice=tool_choice,
            parallel_tool_calls=parallel,
            response_format=self.output_config.response_format() if self.output_config else None,
        )


class CountTokensRequest(_Common, forbid_unknown_fields=True, kw_only=True):
    """`POST /v1/messages/count_tokens`: the prompt's size on the model it names. Counted
    here, with the model's own tokenizer where the gateway has it: the text never leaves."""

    kind: ClassVar[str] = "messages.count_tokens"

    def token_estimate(self) -> int:
        return 0  # counting costs no tokens

    def input_size(self) -> tuple[int, int]:
        chat = self.to_chat()
        return chat.input_size()

    def to_chat(self) -> ChatCompletionRequest:
        tools, tool_choice, parallel = self.chat_tools()
        return ChatCompletionRequest(
            model=self.model,
            messages=self.chat_messages(),
            tools=tools,
            tool_choice=tool_choice,
            parallel_tool_calls=parallel,
        )


# -- translation ----------------------------------------------------------------------------


def _unsupported(param: str, what: str) -> InvalidRequest:
    return InvalidRequest(
        f"{what} is not supported by this gateway.", param=param, code="unsupported_parameter"
    )


def _system_text(system: str | list[TextBlock] | None) -> str:
    if system is None:
        return ""
    if isinstance(system, str):
        return system
    return "\n\n".join(block.text for block in system if block.text)


def _translate(message: AnthropicMessage, position: int) -> list[Message]:
    where = f"messages.{position}.content"
    if isinstance(message.content, str):
        return [Message(role=message.role, content=message.content)]
    if message.role == "system":
        return [Message(role="system", content=_system_text(_text_blocks(message.content, where)))]
    if message.role == "assistant":
        return [_assistant(message.content, where)]
    results: list[Message] = []
    parts: list[ContentPart] = []
    for k, block in enumerate(message.content):
        if isinstance(block, ToolResultBlock):
            results.append(_tool_result(block, f"{where}.{k}"))
        elif isinstance(block, ToolUseBlock | ThinkingBlock | RedactedThinkingBlock):
            raise InvalidRequest(
                f"{where}.{k}: a `{type(block).__name__}` block belongs in an assistant turn.",
                param=f"{where}.{k}",
            )
        else:
            parts.append(_part(block, f"{where}.{k}"))
    # Tool results answer the previous assistant turn, so they come before the new text,
    # as OpenAI's tool messages follow the assistant message that called them.
    if parts:
        results.append(Message(role="user", content=_content(parts)))
    return results


def _text_blocks(blocks: list[Block], where: str) -> list[TextBlock]:
    texts = [block for block in blocks if isinstance(block, TextBlock)]
    if len(texts) != len(blocks):
        raise InvalidRequest(f"{where}: a system turn holds text blocks only.", param=where)
    return texts


def _assistant(blocks: list[Block], where: str) -> Message:
    texts: list[str] = []
    calls: list[ToolCall] = []
    for k, block in enumerate(blocks):
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif isinstance(block, ToolUseBlock):
            arguments = msgspec.json.encode(block.input).decode()
            calls.append(ToolCall(id=block.id, function=FunctionCall(block.name, arguments)))
        elif isinstance(block, ThinkingBlock | RedactedThinkingBlock):
            continue  # signed for Anthropic's own models; nothing another model can use
        else:
            raise InvalidRequest(
                f"{where}.{k}: an assistant turn holds text and tool_use blocks only.",
                param=f"{where}.{k}",
            )
    return Message(role="assistant", content="".join(texts) or None, tool_calls=calls or None)


def _tool_result(block: ToolResultBlock, where: str) -> Message:
    content = block.content
    if content is None:
        text = ""
    elif isinstance(content, str):
        text = content
    else:
        pieces = []
        for k, inner in enumerate(content):
            part = _part(inner, f"{where}.content.{k}")
            if not isinstance(part, TextPart):
                raise _unsupported(f"{where}.content.{k}", "Images and files in tool results")
            pieces.append(part.text)
        text = "\n".join(pieces)
    if block.is_error:
        text = f"Error: {text}" if text else "Error"
    return Message(role="tool", tool_call_id=block.tool_use_id, content=text)


def _part(block: Block, where: str) -> ContentPart:
    if isinstance(block, TextBlock):
        return TextPart(text=block.text)
    if isinstance(block, ImageBlock):
        return ImagePart(image_url=ImageUrl(url=_image_url(block.source, where)))
    if isinstance(block, DocumentBlock):
        return _document(block, where)
    raise InvalidRequest(f"{where}: unexpected `{type(block).__name__}` block.", param=where)


def _image_url(source: dict[str, Any], where: str) -> str:
    kind = source.get("type")
    if kind == "base64" and isinstance(source.get("data"), str):
        return f"data:{source.get('media_type', 'image/png')};base64,{source['data']}"
    if kind == "url" and isinstance(source.get("url"), str):
        return str(source["url"])
    raise _unsupported(f"{where}.source", f"An image source of type {kind!r}")


def _document(block: DocumentBlock, where: str) -> ContentPart:
    source = block.source
    kind = source.get("type")
    if kind == "text" and isinstance(source.get("data"), str):
        title = f"{block.title}\n\n" if block.title else ""
        return TextPart(text=title + source["data"])
    if kind == "base64" and source.get("media_type") == "application/pdf":
        data = f"data:application/pdf;base64,{source.get('data', '')}"
        return FilePart(file={"file_data": data, "filename": block.title or "document.pdf"})
    raise _unsupported(f"{where}.source", f"A document source of type {kind!r}")


def _content(parts: list[ContentPart]) -> str | list[ContentPart]:
    if all(isinstance(part, TextPart) for part in parts):
        return "\n\n".join(part.text for part in parts if isinstance(part, TextPart))
    return parts


def _tool(tool: AnthropicTool, k: int) -> dict[str, Any]:
    if tool.type not in (None, "custom"):
        raise _unsupported(f"tools.{k}.type", f"Anthropic's server tool `{tool.type}`")
    function: dict[str, Any] = {"name": tool.name, "parameters": tool.input_schema}
    if tool.description:
        function["description"] = tool.description
    if tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}
