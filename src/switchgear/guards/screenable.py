"""What the guards need of a request, whatever door it came in by: every string a provider
would see, a way to rewrite them all, the conversation turns by author, and the caller
identifiers (`user`) that travel with it. Each request kind in `schema/` implements this."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

S = TypeVar("S", bound="Screenable")


class Screenable(Protocol):
    kind: str

    def texts(self) -> Iterator[str]: ...

    def map_texts(self: S, change: Callable[[str], str]) -> S: ...

    def turns(self) -> Iterator[tuple[str, str]]: ...

    def has_opaque_input(self) -> bool:
        """True when part of the input cannot be read as text (token-id prompts)."""
        ...

    def caller_ids(self) -> dict[str, str]: ...

    def with_caller_ids(self: S, ids: dict[str, str | None]) -> S: ...
