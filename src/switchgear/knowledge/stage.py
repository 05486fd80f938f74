"""The pipeline's knowledge step: permitted passages into the prompt, citations out.

`retrieve_for` runs between guards.in and the router for a route bound to a collection;
`with_sources_footer` wraps the answer's deltas so that an answer that cited nothing still
ends with its sources (small models rarely cite on their own).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from switchgear.knowledge.acl import Reader
from switchgear.knowledge.cite import Augmented, sources_footer
from switchgear.knowledge.config import RouteKnowledge
from switchgear.knowledge.records import Citation, Passage
from switchgear.schema.generation import Delta
from switchgear.schema.requests import ChatCompletionRequest

if TYPE_CHECKING:
    from switchgear.knowledge.service import Knowledge

# The injection guard's score for a text (0..1): how much it reads as an instruction.
InjectionCheck = Callable[[str], float]


@dataclass(slots=True)
class PassageScreening:
    """What the injection guard did to the retrieved passages, for the ledger."""

    threshold: float
    drop: bool
    dropped: int = 0
    flagged: int = 0
    top_score: float = 0.0

    def apply(self, passages: list[Passage], score: InjectionCheck) -> list[Passage]:
        kept = []
        for passage in passages:
            value = score(passage.text)
            self.top_score = max(self.top_score, value)
            if value < self.threshold:
                kept.append(passage)
            elif self.drop:
                self.dropped += 1
            else:
                self.flagged += 1
                kept.append(passage)
        return kept


async def retrieve_for(
    knowledge: Knowledge,
    request: ChatCompletionRequest,
    binding: RouteKnowledge,
    reader: Reader,
    *,
    injection: tuple[PassageScreening, InjectionCheck] | None = None,
    complete: Callable[[str], Awaitable[str]] | None = None,
) -> Augmented:
    """Retrieval runs in a worker thread inside `augment_async`; the permission filter is part
    of the store's ranking query, so an unreadable passage never reaches this process's
    prompt, citations or reranker."""
    screen = None
    if injection is not None:
        screening, score = injection

        def screen(passages: list[Passage]) -> list[Passage]:
            return screening.apply(passages, score)

    return await knowledge.augment_async(request, binding, reader, screen=screen, complete=complete)


async def with_sources_footer(
    deltas: AsyncIterator[Delta], citations: Sequence[Citation]
) -> AsyncIterator[Delta]:
    """Passes deltas through; before the first choice's finish, adds `Sources: …` if the text
    so far cites none of the numbered sources."""
    seen: list[str] = []
    async for delta in deltas:
        if delta.index != 0 or delta.finish_reason is None:
            if delta.index == 0:
                seen.append(delta.text)
            yield delta
            continue
        seen.append(delta.text)
        footer = sources_footer("".join(seen), citations)
        if footer and not delta.tool_calls:
            if delta.text:
                yield Delta(text=delta.text, index=0)
            yield Delta(text=footer, index=0)
            yield Delta(text="", index=0, finish_reason=delta.finish_reason, usage=delta.usage)
        else:
            yield delta
