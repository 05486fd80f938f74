"""Chat messages as OpenAI sends them: content parts, tool calls, and the strings inside
each message that a provider would see (for the guards)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import msgspec

from switchgear.schema.texts import TextMap, encoded_json_strings, map_encoded_json, safe_name


class TextPart(msgspec.Struct, tag_field="type", tag="text"):
    text: str


class ImageUrl(msgspec.Struct):
    url: str
    detail: str | None = None


class ImagePart(msgspec.Struct, tag_field="type", tag="image_url"):
    image_url: ImageUrl


class InputAudioPart(msgspec.Struct, tag_field="type", tag="input_audio"):
    input_audio: dict[str, Any]


class FilePart(msgspec.Struct, tag_field="type", tag="file"):
    file: dict[str, Any]


class RefusalPart(msgspec.Struct, tag_field="type", tag="refusal"):
    refusal: str


ContentPart = TextPart | ImagePart | InputAudioPart | FilePart | RefusalPart


class FunctionCall(msgspec.Struct):
    name: str
    arguments: str


class ToolCall(msgspec.Struct):
    id: str
    function: FunctionCall
    type: Literal["function"] = "function"


class Message(msgspec.Struct, omit_defaults=True):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    refusal: str | None = None
    function_call: FunctionCall | None = None

    def text(self) -> str:
        """The message's text; non-text parts are the provider's concern."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content if isinstance(part, TextPart))

    def has_non_text_parts(self) -> bool:
        return isinstance(self.content, list) and any(
            not isinstance(part, TextPart) for part in self.content
        )

    def texts(self) -> Iterator[str]:
        """Every string of this message a provider would see: content, refusal, name and the
        string values inside tool-call arguments."""
        if isinstance(self.content, str):
            if self.content:
                yield self.content
        elif self.content:
            for part in self.content:
                if isinstance(part, TextPart) and part.text:
                    yield part.text
                elif isinstance(part, RefusalPart) and part.refusal:
                    yield part.refusal
        if self.refusal:
            yield self.refusal
        if self.name:
            yield self.name
        for call in self.tool_calls or ():
            yield from encoded_json_strings(call.function.arguments)
        if self.function_call is not None:
            yield from encoded_json_strings(self.function_call.arguments)

    def map_texts(self, change: TextMap) -> Message:
        updates: dict[str, Any] = {}
        if isinstance(self.content, str):
            updates["content"] = change(self.content) if self.content else self.content
        elif self.content:
            updates["content"] = [_map_part(p, change) for p in self.content]
        if self.refusal:
            updates["refusal"] = change(self.refusal)
        if self.name:
            updates["name"] = safe_name(change(self.name))
        if self.tool_calls:
            updates["tool_calls"] = [
                msgspec.structs.replace(
                    call,
                    function=FunctionCall(
                        call.function.name, map_encoded_json(call.function.arguments, change)
                    ),
                )
                for call in self.tool_calls
            ]
        if self.function_call is not None:
            updates["function_call"] = FunctionCall(
                self.function_call.name, map_encoded_json(self.function_call.arguments, change)
            )
        return msgspec.structs.replace(self, **updates) if updates else self


def _map_part(part: ContentPart, change: TextMap) -> ContentPart:
    if isinstance(part, TextPart):
        return TextPart(text=change(part.text)) if part.text else part
    if isinstance(part, RefusalPart):
        return RefusalPart(refusal=change(part.refusal)) if part.refusal else part
    return part
