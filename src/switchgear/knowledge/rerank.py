"""Optional reranking by a model behind any configured route (`knowledge.rerank_route`).

The model gets the question and the numbered candidate passages and answers with their numbers,
best first. Reranking only reorders passages the reader was already allowed to retrieve, so it
cannot widen access. If the model fails or answers nonsense, the fused order stands.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence

from switchgear.knowledge.records import Passage

log = logging.getLogger("switchgear.knowledge")
# Sends one prompt to the rerank route and returns the model's text (the lead wires this to
# the pipeline, so the call is routed, guarded and ledgered like any other).
Complete = Callable[[str], Awaitable[str]]
_NUMBER = re.compile(r"\d+")
_PREVIEW_CHARS = 600


def rerank_prompt(query: str, passages: Sequence[Passage]) -> str:
    listed = "\n\n".join(
        f"[{n}] {p.title}: {' '.join(p.text.split())[:_PREVIEW_CHARS]}"
        for n, p in enumerate(passages, start=1)
    )
    return (
        "Rank the passages by how well they answer the question. Reply with the passage "
        "numbers only, most relevant first, separated by commas. Leave out passages that do "
        f"not help.\n\nQuestion: {query}\n\nPassages:\n\n{listed}\n\nRanking:"
    )


def parse_ranking(reply: str, count: int) -> list[int]:
    """1-based passage numbers from the reply, in order, each once, only those that exist."""
    seen: dict[int, None] = {}
    for token in _NUMBER.findall(reply):
        number = int(token)
        if 1 <= number <= count:
            seen.setdefault(number, None)
    return list(seen)


def apply_ranking(passages: Sequence[Passage], order: Sequence[int]) -> list[Passage]:
    """The passages the model named, in its order, then the others in their fused order."""
    named = [passages[n - 1] for n in order]
    rest = [p for n, p in enumerate(passages, start=1) if n not in set(order)]
    return named + rest


async def rerank(
    query: str, passages: Sequence[Passage], complete: Complete, keep: int
) -> list[Passage]:
    if len(passages) <= 1:
        return list(passages)[:keep]
    try:
        reply = await complete(rerank_prompt(query, passages))
    except Exception as error:  # a broken rerank route degrades to the fused order
        log.warning("rerank failed, keeping the fused order: %s", error)
        return list(passages)[:keep]
    order = parse_ranking(reply, len(passages))
    return apply_ranking(passages, order)[:keep]
