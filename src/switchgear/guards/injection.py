"""Prompt-injection score in [0, 1] from three signals, each cheap and offline:

- `ngram`: our hashed n-gram linear model (`injection_model`), trained on S-Labs' train split;
- `patterns`: hand-written multilingual patterns (`injection_patterns`), incl. de-obfuscation;
- `guardian`: SecureVector Guardian (securevector-guardian-model, Apache-2.0), when installed.

The score is the highest signal over windows of the text, so an injection buried in a long
document is not diluted. Synchronous and CPU-bound (~0.1 ms per short prompt).
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from typing import Any

from switchgear.guards.injection_model import load_model
from switchgear.guards.injection_patterns import pattern_score

WINDOW_CHARS = 1000
WINDOW_OVERLAP = 200
_GUARDIAN_BENIGN = ("benign", "pii")  # Guardian classes that are not attacks


@dataclass(frozen=True, slots=True)
class InjectionScore:
    score: float
    signals: dict[str, float]


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
    def __init__(self, *, use_guardian: bool = True) -> None:
        self.use_guardian = use_guardian

    def load(self) -> None:
        load_model()
        if self.use_guardian:
            _load_guardian()

    def score(self, text: str) -> InjectionScore:
        model = load_model()
        guardian = _load_guardian() if self.use_guardian else None
        best: dict[str, float] = {"ngram": 0.0, "patterns": 0.0}
        if guardian is not None:
            best["guardian"] = 0.0
        for window in _windows(text):
            best["ngram"] = max(best["ngram"], model.score(window))
            best["patterns"] = max(best["patterns"], pattern_score(window))
            if guardian is not None:
                best["guardian"] = max(best["guardian"], guardian.score(window))
        return InjectionScore(max(best.values()), best)
