"""OpenAI request bodies, decoded and validated in one pass by msgspec.

Unknown top-level fields are rejected (OpenAI answers "Unrecognized request argument");
fields OpenAI accepts but a provider cannot honour are checked by that provider.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

Temperature = Annotated[float, msgspec.Meta(ge=0.0, le=2.0)]
Probability = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Penalty = Annotated[float, msgspec.Meta(ge=-2.0, le=2.0)]
PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
StopSequences = str | Annotated[list[str], msgspec.Meta(max_length=4)] | None


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


class JsonSchemaFormat(msgspec.Struct):
    name: str
    schema: dict[str, Any] | None = None
    description: str | None = None
    strict: bool | None = None


class ResponseFormatText(msgspec.Struct, tag_field="type", tag="text"):
    pass


class ResponseFormatJsonObject(msgspec.Struct, tag_field="type", tag="json_object"):
    pass


class ResponseFormatJsonSchema(msgspec.Struct, tag_field="type", tag="json_schema"):
    json_schema: JsonSchemaFormat


ResponseFormat = ResponseFormatText | ResponseFormatJsonObject | ResponseFormatJsonSchema


class StreamOptions(msgspec.Struct):
    include_usage: bool | None = None
    include_obfuscation: bool | None = None


class ChatCompletionRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    model: str
    messages: Annotated[list[Message], msgspec.Meta(min_length=1)]
    max_tokens: PositiveInt | None = None
    max_completion_tokens: PositiveInt | None = None
    temperature: Temperature | None = None
    top_p: Probability | None = None
    stop: StopSequences = None
    seed: int | None = None
    n: PositiveInt | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    user: str | None = None
    response_format: ResponseFormat | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int, msgspec.Meta(ge=0, le=20)] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    functions: list[dict[str, Any]] | None = None
    function_call: str | dict[str, Any] | None = None
    metadata: dict[str, str] | None = None
    store: bool | None = None
    service_tier: str | None = None
    modalities: list[str] | None = None
    audio: dict[str, Any] | None = None
    prediction: dict[str, Any] | None = None
    reasoning_effort: str | None = None
    verbosity: str | None = None
    web_search_options: dict[str, Any] | None = None
    prompt_cache_key: str | None = None
    safety_identifier: str | None = None

    def output_limit(self) -> int | None:
        """`max_completion_tokens` supersedes the deprecated `max_tokens`."""
        return self.max_completion_tokens or self.max_tokens

    def stop_sequences(self) -> list[str]:
        return stop_list(self.stop)

    def wants_stream_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


class CompletionRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    model: str
    # msgspec cannot tell apart unions of several list types; `__post_init__` checks the items.
    prompt: str | list[Any]
    suffix: str | None = None
    max_tokens: PositiveInt | None = 16
    temperature: Temperature | None = None
    top_p: Probability | None = None
    stop: StopSequences = None
    seed: int | None = None
    n: PositiveInt | None = None
    best_of: PositiveInt | None = None
    echo: bool | None = None
    logprobs: Annotated[int, msgspec.Meta(ge=0, le=5)] | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    user: str | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    logit_bias: dict[str, float] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.prompt, str):
            return
        items = self.prompt
        if all(isinstance(p, str) for p in items):
            return
        if all(isinstance(p, int) and not isinstance(p, bool) for p in items):
            return
        if all(isinstance(p, list) and all(type(t) is int for t in p) for p in items):
            return
        raise ValueError(
            "Expected a string, a list of strings, a list of token ids or a list of token-id lists"
        )

    def wants_stream_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


def stop_list(stop: str | list[str] | None) -> list[str]:
    if stop is None:
        return []
    if isinstance(stop, str):
        return [stop] if stop else []
    return [s for s in stop if s]
