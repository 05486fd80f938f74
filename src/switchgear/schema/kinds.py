"""The request kinds that are not a generation in OpenAI's shape: embeddings, search,
classification, moderation, model listings, MCP tool listings and calls, and the gateway's own
internal calls. Every kind names itself with `kind`; the pipeline's stages declare which kinds
they apply to.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import msgspec

from switchgear.schema.requests import ChatCompletionRequest, Message
from switchgear.schema.texts import TextMap, json_strings, map_json

if TYPE_CHECKING:
    from switchgear.governance.keys import Identity

GENERATION_KINDS = frozenset({"chat.completions", "completions", "internal"})


class EmbeddingsRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`POST /v1/embeddings`: `input` is a string, a list of strings, one list of token ids or
    a list of them (what LangChain's `OpenAIEmbeddings` sends). Text inputs may leave for an
    upstream embedding model, so the guards screen them like a prompt."""

    kind: ClassVar[str] = "embeddings"
    model: str
    input: str | list[Any]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = None
    user: str | None = None

    def token_estimate(self) -> int:
        return self.input_size()[0] // 4

    def input_size(self) -> tuple[int, int]:
        return _size_of(self.input)

    def texts(self) -> Iterator[str]:
        if isinstance(self.input, str):
            return iter([self.input])
        return (item for item in self.input if isinstance(item, str))

    def map_texts(self, change: TextMap) -> EmbeddingsRequest:
        if isinstance(self.input, str):
            return msgspec.structs.replace(self, input=change(self.input))
        changed = [change(item) if isinstance(item, str) else item for item in self.input]
        return msgspec.structs.replace(self, input=changed)

    def turns(self) -> Iterator[tuple[str, str]]:
        return (("user", text) for text in self.texts())

    def has_opaque_input(self) -> bool:
        """Token ids: the guards cannot read them."""
        return not isinstance(self.input, str) and any(
            not isinstance(item, str) for item in self.input
        )

    def caller_ids(self) -> dict[str, str]:
        return {"user": self.user} if self.user else {}  # forwarded to an upstream

    def with_caller_ids(self, ids: dict[str, str | None]) -> EmbeddingsRequest:
        return msgspec.structs.replace(self, **ids)


class SearchRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`POST /v1/search`: retrieval only. `collection` or a `model` bound to one."""

    kind: ClassVar[str] = "search"
    query: Annotated[str, msgspec.Meta(min_length=1)]
    collection: str | None = None
    model: str | None = None
    top_k: Annotated[int, msgspec.Meta(ge=1, le=50)] | None = None
    mode: Literal["hybrid", "bm25", "vector"] | None = None
    # `all`: superseded document versions too, ranked below their successors and marked;
    # default: the binding's setting (`current` without one).
    versions: Literal["current", "all"] | None = None

    def token_estimate(self) -> int:
        return len(self.query) // 4

    def input_size(self) -> tuple[int, int]:
        return len(self.query), 1


NonEmptyText = Annotated[str, msgspec.Meta(min_length=1)]


class ClassificationRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`POST /v1/classifications` (Switchgear's own): `model` names a route with `classify:`;
    each input gets that route's label. The inputs are screened like a prompt."""

    kind: ClassVar[str] = "classifications"
    model: str
    input: NonEmptyText | Annotated[list[NonEmptyText], msgspec.Meta(min_length=1)]
    user: str | None = None

    def inputs(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)

    def token_estimate(self) -> int:
        return self.input_size()[0] // 4

    def input_size(self) -> tuple[int, int]:
        return _size_of(self.input)

    def texts(self) -> Iterator[str]:
        return iter(self.inputs())

    def map_texts(self, change: TextMap) -> ClassificationRequest:
        changed = (
            change(self.input) if isinstance(self.input, str) else list(map(change, self.input))
        )
        return msgspec.structs.replace(self, input=changed)

    def turns(self) -> Iterator[tuple[str, str]]:
        return (("user", text) for text in self.inputs())

    def has_opaque_input(self) -> bool:
        return False

    def caller_ids(self) -> dict[str, str]:
        return {}  # `user` only labels the ledger row: it leaves for no model

    def with_caller_ids(self, ids: dict[str, str | None]) -> ClassificationRequest:
        return self


class ModerationRequest(msgspec.Struct, forbid_unknown_fields=True):
    """`POST /v1/moderations`."""

    kind: ClassVar[str] = "moderations"
    input: str | list[Any]
    model: str | None = None

    def token_estimate(self) -> int:
        return 0

    def input_size(self) -> tuple[int, int]:
        return _size_of(self.input)


def _size_of(value: str | list[Any]) -> tuple[int, int]:
    """(characters, items) of an `input` that is a string or a list of strings or token ids;
    anything else inside a list counts one character, and the kind's own check refuses it."""
    if isinstance(value, str):
        return len(value), 1
    chars = sum(len(item) if isinstance(item, str | list) else 1 for item in value)
    return chars, len(value)


@dataclass(slots=True, frozen=True)
class ModelsRequest:
    """`GET /v1/models` (every model the caller may use) or `GET /v1/models/{id}` (one)."""

    kind: ClassVar[str] = "models"
    model: str | None = None

    def token_estimate(self) -> int:
        return 0


@dataclass(slots=True, frozen=True)
class InternalCall:
    """A call the gateway makes for itself while serving a request (the Llama Guard judge, the
    knowledge reranker): admitted, guarded, routed and ledgered like the request it serves,
    and charged to the same caller."""

    kind: ClassVar[str] = "internal"
    purpose: str  # "judge" | "rerank": the ledger's endpoint is `internal.<purpose>`
    chat: ChatCompletionRequest

    @classmethod
    def prompt(cls, purpose: str, model: str, prompt: str, max_tokens: int) -> InternalCall:
        chat = ChatCompletionRequest(
            model=model,
            messages=[Message(role="user", content=prompt)],
            max_tokens=max_tokens,
            temperature=0.0,
        )
        return cls(purpose, chat)

    @property
    def model(self) -> str:
        return self.chat.model

    def token_estimate(self) -> int:
        return self.chat.token_estimate()

    def texts(self) -> Iterator[str]:
        return self.chat.texts()

    def map_texts(self, change: TextMap) -> InternalCall:
        return InternalCall(self.purpose, self.chat.map_texts(change))

    def turns(self) -> Iterator[tuple[str, str]]:
        return self.chat.turns()

    def has_opaque_input(self) -> bool:
        return False

    def caller_ids(self) -> dict[str, str]:
        return {}

    def with_caller_ids(self, ids: dict[str, str | None]) -> InternalCall:
        return self


MCP_KINDS = frozenset({"mcp.tools.list", "mcp.tools.call"})


@dataclass(slots=True, frozen=True)
class McpToolsList:
    """`tools/list` at `/mcp`: the tools of the configured MCP servers this caller may call.
    `on_behalf_of` is set only in-process (the gateway's own tool loop, inside a request that
    is already admitted), never from the wire."""

    kind: ClassVar[str] = "mcp.tools.list"
    on_behalf_of: Identity | None = None

    def token_estimate(self) -> int:
        return 0


@dataclass(slots=True, frozen=True)
class McpToolCall:
    """`tools/call` at `/mcp`: one tool by its served name (`<server>__<tool>`). The arguments'
    strings are what leaves for the tool's server, so the guards screen them like a prompt."""

    kind: ClassVar[str] = "mcp.tools.call"
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    on_behalf_of: Identity | None = None  # as for `McpToolsList`

    @property
    def model(self) -> str:
        return self.name  # what the ledger's `model` column names: the tool

    def token_estimate(self) -> int:
        return sum(len(text) for text in self.texts()) // 4

    def texts(self) -> Iterator[str]:
        return json_strings(self.arguments)

    def map_texts(self, change: TextMap) -> McpToolCall:
        return replace(self, arguments=map_json(self.arguments, change))

    def turns(self) -> Iterator[tuple[str, str]]:
        # The caller (or its model) wrote the arguments: they are screened as its own words.
        return (("user", text) for text in self.texts())

    def has_opaque_input(self) -> bool:
        return False

    def caller_ids(self) -> dict[str, str]:
        return {}

    def with_caller_ids(self, ids: dict[str, str | None]) -> McpToolCall:
        return self


@dataclass(slots=True, frozen=True)
class Unreadable:
    """A request whose body could not be read: it gets a ledger row under its door's name."""

    endpoint: str
    kind: ClassVar[str] = "unreadable"
    model: str = ""

    def token_estimate(self) -> int:
        return 0
