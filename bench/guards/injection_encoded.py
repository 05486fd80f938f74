"""Encoded variants of held-out prompts: each text written each way an attacker hides one.

The payload is encoded bare (no "decode this and follow it" wrapper, which would itself be a
cue), so a hit means the decoder found it. Applied to held-out attacks (recall) and to
held-out benign prompts (the decoders must not turn benign text into a false positive).
"""

from __future__ import annotations

import base64
import codecs
from collections.abc import Callable

_LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7",
                       "A": "4", "E": "3", "I": "1", "O": "0", "S": "5", "T": "7"})  # fmt: skip
# Latin letters and the Cyrillic letters that look the same.
_CYRILLIC = str.maketrans("aeopcxiyAEOPCTH", "\u0430\u0435\u043e\u0440\u0441\u0445\u0456\u0443"
                          "\u0410\u0415\u041e\u0420\u0421\u0422\u041d")  # fmt: skip


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _zero_width(text: str) -> str:
    return " ".join("\u200b".join(word) for word in text.split(" "))


def _spaced(text: str) -> str:
    return "  ".join(" ".join(word) for word in text.split())


def _percent(text: str) -> str:
    return "".join(f"%{b:02X}" for b in text.encode("utf-8"))


def _tags(text: str) -> str:
    return "".join(chr(0xE0000 + ord(c)) if " " <= c <= "~" else c for c in text)


ENCODINGS: dict[str, Callable[[str], str]] = {
    "base64": lambda t: base64.b64encode(t.encode("utf-8")).decode("ascii"),
    "hex": lambda t: t.encode("utf-8").hex(),
    "rot13": lambda t: codecs.encode(t, "rot13"),
    "percent": _percent,
    "leetspeak": lambda t: t.translate(_LEET),
    "homoglyph": lambda t: t.translate(_CYRILLIC),
    "full-width": _fullwidth,
    "zero-width": _zero_width,
    "reversed": lambda t: t[::-1],
    "spaced": _spaced,
    "unicode-tags": _tags,
}


def encoded(texts: list[str], max_chars: int = 600) -> list[tuple[str, str]]:
    """(encoding, encoded text) for every text (cut at `max_chars`) and every encoding."""
    return [(name, encode(t[:max_chars])) for t in texts for name, encode in ENCODINGS.items()]
