"""Pieces of the pipeline's knowledge step (retrieval itself is `Knowledge.augment`).

`PassageScreening` puts retrieved passages through the injection guard; `with_sources_footer`
wraps the answer's deltas so that an answer that cited nothing still ends with its sources
(small models rarely cite on their own).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from switchgear.knowledge.cite import sources_footer
from switchgear.knowledge.records import Citation, Passage
from switchgear.schema.generation import Delta, DeltaStream


@dataclass(slots=True)
class PassageScreening:
    """The injection guard over retrieved passages: what scores at or over `threshold` is
    dropped (`drop`, the policy's `block`) or kept and counted as flagged. The counts and the
    top score go to the ledger."""

    threshold: float
    drop: bool
    score: Callable[[str], float]
    dropped: int = 0
    flagged: int = 0
    top_score: float = 0.0

    def apply(self, passages: list[Passage]) -> list[Passage]:
        kept = []
        for passage in passages:
            value = self.score(passage.text)
            self.top_score = max(self.top_score, value)
            if value < self.threshold:
                kept.append(passage)
            elif self.drop:
                self.dropped += 1
            else:
                self.flagged += 1
                kept.append(passage)
        return kept


async def with_sources_footer(deltas: DeltaStream, citations: Sequence[Citation]) -> DeltaStream:
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
            yield Delta(
                text="",
                index=0,
                finish_reason=delta.finish_reason,
                usage=delta.usage,
                stop_sequence=delta.stop_sequence,
            )
        else:
            yield delta
