"""The local moderator: an offline lexical classifier over the curated lexicon in `lexicon`.

Fast (well under a millisecond per kilobyte) and transparent, but lexical: it misses paraphrase
and can fire on quoted or negated words. Use the Llama Guard judge where that matters.
"""

from __future__ import annotations

import asyncio
import re

from switchgear.guards.moderation.base import ModerationResult, result_from_scores
from switchgear.guards.moderation.lexicon import LEXICON, MINOR, SEXUAL_STRONG

_NEAR = 80  # characters within which a sexual term and a minor term make sexual/minors


def _compile(words: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.IGNORECASE)


_CATEGORIES = [(category, weight, _compile(words)) for category, weight, words in LEXICON]
_SEXUAL = _compile(SEXUAL_STRONG)
_MINOR = _compile(MINOR)


def score_text(text: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    for category, weight, pattern in _CATEGORIES:
        hits = len(pattern.findall(text))
        if hits:
            miss = (1.0 - scores.get(category, 0.0)) * (1.0 - weight) ** hits
            scores[category] = 1.0 - miss
    sexual = [m.start() for m in _SEXUAL.finditer(text)]
    if sexual:
        minors = [m.start() for m in _MINOR.finditer(text)]
        if any(abs(s - m) <= _NEAR for s in sexual for m in minors):
            scores["sexual/minors"] = max(scores.get("sexual/minors", 0.0), 0.95)
    return scores


# Past this many characters the lexicon runs in a worker thread, off the event loop.
INLINE_CHARS = 32_000


class LocalModerator:
    name = "local"
    stream_chunk_chars = 0
    model_name = "switchgear-lexicon-1"

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def classify(self, inputs: list[str]) -> list[ModerationResult]:
        """Synchronous; cheap enough for the event loop on prompts, use a thread for huge ones."""
        return [result_from_scores(score_text(text), self.threshold) for text in inputs]

    async def moderate(self, inputs: list[str]) -> list[ModerationResult]:
        if sum(len(text) for text in inputs) <= INLINE_CHARS:
            return self.classify(inputs)
        return await asyncio.to_thread(self.classify, inputs)
