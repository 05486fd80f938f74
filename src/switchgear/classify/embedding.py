"""`method: embedding`: a label's score is the cosine similarity between the input and the
nearest of the label's phrases (its description and examples), all embedded by the gateway's
one MiniLM embedder (`knowledge.embedder.minilm_for`: the thresholds were measured on it,
whatever the knowledge index uses). Nearest rather than the mean of the phrases: one label
often covers several ways of asking ("where is my parcel", "has it shipped yet"), and a mean
of those sits between them, close to none."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from switchgear.classify.config import ClassifyConfig

if TYPE_CHECKING:
    from switchgear.knowledge.embedder import Embedder


class LabelIndex:
    """Every label's phrases as unit vectors, each label's rows contiguous, in label order."""

    def __init__(self, names: list[str], vectors: npt.NDArray[np.float32], starts: list[int]):
        self.names = names
        self._vectors = vectors
        self._starts = np.array(starts, dtype=np.intp)

    @classmethod
    def build(cls, config: ClassifyConfig, embedder: Embedder) -> LabelIndex:
        """Embeds the phrases once (blocking: call it off the event loop)."""
        phrases: list[str] = []
        starts: list[int] = []
        for label in config.labels.values():
            starts.append(len(phrases))
            phrases.extend(label.phrases())
        return cls(list(config.labels), embedder.embed(phrases), starts)

    def scores(self, embedder: Embedder, texts: Sequence[str]) -> list[dict[str, float]]:
        """Each text's score for every label (blocking)."""
        similarity = embedder.embed(texts) @ self._vectors.T  # unit vectors: cosines
        best = np.maximum.reduceat(similarity, self._starts, axis=1)
        return [
            {name: round(float(value), 4) for name, value in zip(self.names, row, strict=True)}
            for row in best
        ]
