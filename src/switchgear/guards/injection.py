"""Prompt-injection score in [0, 1] from four offline signals:

- `ngram`: our hashed n-gram linear model (`injection_model`), trained on the S-Labs and
  neuralchemy train splits plus multilingual and benign rows (`bench/guards/train_injection.py`);
- `e5`: a logistic head over multilingual-e5-small embeddings (`injection_e5`), asked only
  when the n-gram model says injection and nothing else does: the two must then agree, which
  keeps a lexical model from refusing "ignore the typo" or a question about jailbreaks;
- `patterns`: hand-written multilingual patterns (`injection_patterns`);
- `guardian`: SecureVector Guardian (securevector-guardian-model, Apache-2.0), when installed.

score = max(ngram if patterns or guardian agree else min(ngram, e5), patterns, guardian): the
high-precision signals count alone, the lexical one only with a second opinion.
Signals are taken at their highest over windows of the text and over its decoded views
(`injection_decode`: base64, hex, rot13, percent-encoding, leetspeak, look-alike letters,
invisible characters, reversed and spaced-out text), so neither an injection buried in a long
document nor one hidden in an encoding is diluted. Synchronous and CPU-bound: about 1 ms per
short prompt, plus about 150 ms when the e5 head is asked (bench/RESULTS.md).
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from typing import Any

from switchgear.guards.injection_decode import decoded_views
from switchgear.guards.injection_e5 import load_head
from switchgear.guards.injection_model import NgramModel, load_model
from switchgear.guards.injection_patterns import pattern_score

WINDOW_CHARS = 1000
WINDOW_OVERLAP = 200
_GUARDIAN_BENIGN = ("benign", "pii")  # Guardian classes that are not attacks


@dataclass(frozen=True, slots=True)
class InjectionScore:
    score: float
    signals: dict[str, float]  # each signal's highest score over windows and views
    view: str = "original"  # the decodings of the top view, e.g. "base64" or "rot13"


class _Guardian:
    """SecureVector Guardian's stdlib-only runtime, from the bundle inside its wheel."""

    def __init__(self) -> None:
        bundle: Any = importlib.import_module("svguardian")
        runtime: Any = importlib.import_module("svguardian.model.pure_infer")
        # download=False: the weights ship inside the wheel; never fetch them.
        self._model: Any = runtime.PureGuardian.load(bundle.resolve_runtime(download=False))
        self.threshold = float(self._model.threshold)

    def score(self, text: str) -> float:
        proba = self._model._softmax(self._model._scores(text))
        classes: list[str] = self._model.classes
        attack = sum(p for c, p in zip(classes, proba, strict=True) if c not in _GUARDIAN_BENIGN)
        # Rescale so the model's own calibrated threshold lands on 0.5.
        t = self.threshold
        return float(attack * 0.5 / t if attack < t else 0.5 + (attack - t) * 0.5 / (1 - t))


_guardian: _Guardian | None = None
_guardian_lock = threading.Lock()


def _load_guardian() -> _Guardian | None:
    global _guardian
    if _guardian is None and importlib.util.find_spec("svguardian") is not None:
        with _guardian_lock:
            if _guardian is None:
                _guardian = _Guardian()
    return _guardian


def _windows(text: str) -> list[str]:
    if len(text) <= WINDOW_CHARS:
        return [text]
    step = WINDOW_CHARS - WINDOW_OVERLAP
    return [text[i : i + WINDOW_CHARS] for i in range(0, len(text) - WINDOW_OVERLAP, step)]


class InjectionDetector:
    def __init__(self, *, use_guardian: bool = True, use_e5: bool = True) -> None:
        self.use_guardian = use_guardian
        self.use_e5 = use_e5

    def load(self) -> None:
        load_model()
        if self.use_guardian:
            _load_guardian()
        if self.use_e5:
            load_head()

    def score(self, text: str) -> InjectionScore:
        model = load_model()
        guardian = _load_guardian() if self.use_guardian else None
        best: dict[str, float] = {}
        lexical_text, top_view = text, "original"
        for view in decoded_views(text):
            signals, window = _score_view(view.text, model, guardian)
            if signals["ngram"] > best.get("ngram", -1.0):
                lexical_text = window  # what the e5 head reads: the top n-gram window
            if max(signals.values()) > max(best.values(), default=-1.0):
                top_view = view.how
            for name, value in signals.items():
                best[name] = max(best.get(name, 0.0), value)
        lexical = best["ngram"]
        others = max(best["patterns"], best.get("guardian", 0.0))
        # The n-gram model alone is lexical: it needs a second signal to agree. A pattern or
        # Guardian hit agrees already; otherwise the e5 head is asked, and can overrule it.
        head = load_head() if self.use_e5 and lexical >= 0.5 and others < 0.5 else None
        if head is not None:
            best["e5"] = head.score(lexical_text)
            lexical = min(lexical, best["e5"])
        return InjectionScore(max(lexical, others), best, top_view)


def _score_view(
    text: str, model: NgramModel, guardian: _Guardian | None
) -> tuple[dict[str, float], str]:
    """Each signal's highest score over the view's windows, and the n-gram model's top window."""
    best: dict[str, float] = {"ngram": 0.0, "patterns": 0.0}
    if guardian is not None:
        best["guardian"] = 0.0
    top_window = text
    for window in _windows(text):
        ngram = model.score(window)
        if ngram > best["ngram"]:
            best["ngram"], top_window = ngram, window
        best["patterns"] = max(best["patterns"], pattern_score(window))
        if guardian is not None:
            best["guardian"] = max(best["guardian"], guardian.score(window))
    return best, top_window
