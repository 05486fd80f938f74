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


# A long text is scanned in pieces cut at whitespace: one regex call over megabytes holds the
# GIL for seconds and stalls every other request; pieces let the event loop run in between.
_PIECE_CHARS = 16_384


def _pieces(text: str) -> list[tuple[int, str]]:
    """(offset, piece) covering `text`, cut at whitespace so no word is split."""
    out: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + _PIECE_CHARS)
        if end < len(text):
            space = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
            end = space + 1 if space > start else end
        out.append((start, text[start:end]))
        start = end
    return out


def score_text(text: str) -> dict[str, float]:
    hits: dict[str, tuple[float, int]] = {}
    sexual: list[int] = []
    minors: list[int] = []
    for offset, piece in _pieces(text):
        for category, weight, pattern in _CATEGORIES:
            found = len(pattern.findall(piece))
            if found:
                # A category listed with several weights combines them all (see below).
                key = f"{category}\x00{weight}"
                hits[key] = (weight, hits.get(key, (weight, 0))[1] + found)
        sexual += [offset + m.start() for m in _SEXUAL.finditer(piece)]
        minors += [offset + m.start() for m in _MINOR.finditer(piece)]
    scores: dict[str, float] = {}
    for key, (weight, count) in hits.items():
        category = key.split("\x00", 1)[0]
        miss = (1.0 - scores.get(category, 0.0)) * (1.0 - weight) ** count
        scores[category] = 1.0 - miss
    if sexual and minors and any(abs(s - m) <= _NEAR for s in sexual for m in minors):
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
