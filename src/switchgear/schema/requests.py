"""OpenAI request bodies, decoded and validated in one pass by msgspec.

Unknown top-level fields are rejected (OpenAI answers "Unrecognized request argument");
fields OpenAI accepts but a provider cannot honour are checked by that provider.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, ClassVar

import msgspec

from switchgear.schema.messages import (
    ContentPart,
    FilePart,
    FunctionCall,
    ImagePart,
    ImageUrl,
    InputAudioPart,
    Message,
    RefusalPart,
    TextPart,
    ToolCall,
)
from switchgear.schema.texts import (
    SCHEMA_KEYWORDS,
    TextMap,
    json_strings,
    map_json,
)

Temperature = Annotated[float, msgspec.Meta(ge=0.0, le=2.0)]
Probability = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Penalty = Annotated[float, msgspec.Meta(ge=-2.0, le=2.0)]
PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
# OpenAI's API takes 4; IDE clients send a self-hosted server more (Continue: all 7 of its FIM
# template's), which local engines, vLLM and Ollama take.
StopSequences = str | Annotated[list[str], msgspec.Meta(max_length=16)] | None


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
    """`POST /v1/chat/completions`; also what other doors (and internal calls) translate to."""

    kind: ClassVar[str] = "chat.completions"
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
    # A prompt template, the LiteLLM way (the template stage renders and clears them).
    prompt_id: str | None = None
    prompt_version: PositiveInt | None = None
    prompt_variables: dict[str, str] | None = None

    def output_limit(self) -> int | None:
        """`max_completion_tokens` supersedes the deprecated `max_tokens`."""
        return self.max_completion_tokens or self.max_tokens

    def stop_sequences(self) -> list[str]:
        return stop_list(self.stop)

    def wants_stream_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    def token_estimate(self) -> int:
        return sum(len(m.text()) for m in self.messages) // 4

    def input_size(self) -> tuple[int, int]:
        """(characters of text, items: messages and tools), for the per-request caps."""
        return sum(map(len, self.texts())), len(self.messages) + len(self.tools or ())

    def texts(self) -> Iterator[str]:
        """Every string a provider would see, except the caller identifiers (`user`,
        `safety_identifier`), which the guards treat as identifiers, not text."""
        for message in self.messages:
            yield from message.texts()
        for tool in self.tools or ():
            yield from json_strings(tool, SCHEMA_KEYWORDS)
        for function in self.functions or ():
            yield from json_strings(function, SCHEMA_KEYWORDS)
        yield from self.stop_sequences()
        if isinstance(self.response_format, ResponseFormatJsonSchema):
            schema = self.response_format.json_schema
            if schema.description:
                yield schema.description
            yield from json_strings(schema.schema, SCHEMA_KEYWORDS)
        yield from json_strings(self.metadata)
        yield from json_strings(self.prediction)

    def map_texts(self, change: TextMap) -> ChatCompletionRequest:
        """A copy with `change` applied to every string `texts` yields."""
        updates: dict[str, Any] = {"messages": [m.map_texts(change) for m in self.messages]}
        if self.tools:
            updates["tools"] = [map_json(t, change, SCHEMA_KEYWORDS) for t in self.tools]
        if self.functions:
            updates["functions"] = [map_json(f, change, SCHEMA_KEYWORDS) for f in self.functions]
        if self.stop:
            updates["stop"] = map_json(self.stop, change)
        if isinstance(self.response_format, ResponseFormatJsonSchema):
            schema = self.response_format.json_schema
            updates["response_format"] = ResponseFormatJsonSchema(
                msgspec.structs.replace(
                    schema,
                    description=change(schema.description) if schema.description else None,
                    schema=map_json(schema.schema, change, SCHEMA_KEYWORDS),
                )
            )
        if self.metadata:
            updates["metadata"] = map_json(self.metadata, change)
        if self.prediction:
            updates["prediction"] = map_json(self.prediction, change)
        return msgspec.structs.replace(self, **updates)

    def turns(self) -> Iterator[tuple[str, str]]:
        """(role, text) of each message with text, for guards that judge by author."""
        for message in self.messages:
            text = message.text()
            if text:
                yield message.role, text

    def has_opaque_input(self) -> bool:
        return False

    def caller_ids(self) -> dict[str, str]:
        return {
            name: value
            for name, value in (("user", self.user), ("safety_identifier", self.safety_identifier))
            if value
        }

    def with_caller_ids(self, ids: dict[str, str | None]) -> ChatCompletionRequest:
        return msgspec.structs.replace(self, **ids)


class CompletionRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`POST /v1/completions`: one or several prompts, one choice each."""

    kind: ClassVar[str] = "completions"
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
        if not items:
            raise ValueError("Expected at least one prompt, not an empty list")
        if all(isinstance(p, str) for p in items):
            return
        if all(isinstance(p, int) and not isinstance(p, bool) for p in items):
            return
        if all(isinstance(p, list) and p and all(type(t) is int for t in p) for p in items):
            return
        raise ValueError(
            "Expected a string, a list of strings, a list of token ids or a list of non-empty "
            "token-id lists"
        )

    def wants_stream_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    def prompts(self) -> list[str | list[int]]:
        """Each prompt of the request, in order (a list of token ids counts as one)."""
        prompt = self.prompt
        if isinstance(prompt, str) or (prompt and isinstance(prompt[0], int)):
            return [prompt]
        return list(prompt)

    def has_opaque_input(self) -> bool:
        return any(not isinstance(p, str) for p in self.prompts())

    def token_estimate(self) -> int:
        return sum(len(p) if isinstance(p, str) else 4 * len(p) for p in self.prompts()) // 4

    def input_size(self) -> tuple[int, int]:
        prompts = self.prompts()
        return sum(len(p) for p in prompts) + len(self.suffix or ""), len(prompts)

    def texts(self) -> Iterator[str]:
        for prompt in self.prompts():
            if isinstance(prompt, str) and prompt:
                yield prompt
        if self.suffix:
            yield self.suffix
        yield from stop_list(self.stop)

    def map_texts(self, change: TextMap) -> CompletionRequest:
        prompt: str | list[Any] = self.prompt
        if isinstance(prompt, str):
            prompt = change(prompt) if prompt else prompt
        elif prompt and all(isinstance(p, str) for p in prompt):
            prompt = [change(p) if p else p for p in prompt]
        return msgspec.structs.replace(
            self,
            prompt=prompt,
            suffix=change(self.suffix) if self.suffix else self.suffix,
            stop=map_json(self.stop, change) if self.stop else self.stop,
        )

    def turns(self) -> Iterator[tuple[str, str]]:
        for prompt in self.prompts():
            if isinstance(prompt, str) and prompt:
                yield "user", prompt
        if self.suffix:
            yield "user", self.suffix

    def caller_ids(self) -> dict[str, str]:
        return {"user": self.user} if self.user else {}

    def with_caller_ids(self, ids: dict[str, str | None]) -> CompletionRequest:
        return msgspec.structs.replace(self, **ids)


class TextPrompt(msgspec.Struct, frozen=True):
    """One prompt of a text completion request, as a provider receives it: the pipeline fans a
    request with several prompts out into one of these per prompt."""

    request: CompletionRequest
    prompt: str | list[int]
    index: int


def stop_list(stop: str | list[str] | None) -> list[str]:
    if stop is None:
        return []
    if isinstance(stop, str):
        return [stop] if stop else []
    return [s for s in stop if s]


# Re-exported: the message types are part of this module's request shapes.
__all__ = [
    "ChatCompletionRequest",
    "CompletionRequest",
    "ContentPart",
    "FilePart",
    "FunctionCall",
    "ImagePart",
    "ImageUrl",
    "InputAudioPart",
    "JsonSchemaFormat",
    "Message",
    "RefusalPart",
    "ResponseFormat",
    "ResponseFormatJsonObject",
    "ResponseFormatJsonSchema",
    "ResponseFormatText",
    "StreamOptions",
    "TextPart",
    "TextPrompt",
    "ToolCall",
    "stop_list",
]
