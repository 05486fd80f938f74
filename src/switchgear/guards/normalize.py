"""Text as the recognisers see it: digits of any common script as ASCII, NFKC compatibility
forms folded (fullwidth letters, ligatures, small-form `﹫`), zero-width and bidi controls
removed, and Cyrillic/Greek look-alikes folded to Latin inside words that mix them with Latin.

Removing or expanding characters changes offsets, so `normalize_mapped` returns the text with a
map back to the original: every span found in the normalised text is reported, redacted and
restored at its place in the original, and a zero-width character inside a value is covered by
the value's span. The common case (ASCII, or text already in NFKC without controls) costs one
C-level pass and keeps offsets shared.
"""

# ruff: noqa: RUF001, RUF003  (letters of other scripts are the point of this module)

from __future__ import annotations

import bisect
import re
import unicodedata
from array import array
from dataclasses import dataclass, field
from functools import lru_cache

from switchgear.guards.entities import Span

_TABLE: dict[int, int] = {}
for _base in (0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0xFF10):  # Arabic-Indic, Persian, NKo,
    for _i in range(10):  # Devanagari, Bengali, fullwidth digits
        _TABLE[_base + _i] = ord("0") + _i
for _space in (0x00A0, 0x2007, 0x2009, 0x200A, 0x202F, 0x205F, 0x3000):
    _TABLE[_space] = ord(" ")
for _dash in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212, 0xFE63, 0xFF0D):
    _TABLE[_dash] = ord("-")
_TABLE[0xFF0B] = ord("+")
_TABLE[0xFF20] = ord("@")
_TABLE[0xFF0E] = ord(".")
_TABLE[0x066B] = ord(".")  # Arabic decimal separator
_TABLE[0x066C] = ord(",")  # Arabic thousands separator
_TABLE[0x060C] = ord(",")  # Arabic comma

# Invisible characters that split a value without showing: zero-width space/joiners, word
# joiner, BOM, soft hyphen, Mongolian vowel separator, and the bidi marks, embeddings,
# overrides and isolates (U+061C, U+200E-F, U+202A-E, U+2066-9).
_INVISIBLE = "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_INVISIBLE_RUN = re.compile(f"[{_INVISIBLE}]")
# A run of non-ASCII characters with the ASCII character before it (a combining mark composes
# with it). ASCII characters never compose with what precedes them, so normalising such
# pieces one by one gives the same text as normalising the whole.
_NON_ASCII_PIECE = re.compile(r"[\x00-\x7f]?[^\x00-\x7f]+")

# Cyrillic and Greek letters drawn like Latin ones. Folded only inside a word that also has
# Latin letters (`pаypal@…` with a Cyrillic `а`), never in Russian or Greek words.
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕһԁԛԝӏАВЕКМНОРСТХУЅІЈԚԜ" "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧοαινρυ",
    "aeopcyxijshdqwlABEKMHOPCTXYSIJQW" "ABEZHIKMNOPTYXoaivpu",
)  # fmt: skip
_LOOKALIKE = re.compile("[" + "".join(chr(c) for c in _LOOKALIKES) + "]")
# A word holding both a Latin letter and a look-alike; the lookaheads stop at whitespace.
_MIXED_WORD = re.compile(rf"(?<!\S)(?=\S*?[A-Za-z])(?=\S*?{_LOOKALIKE.pattern})\S+")


def normalize(text: str) -> str:
    """Same length as `text`; digits in any of the common scripts become ASCII."""
    return text.translate(_TABLE)


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """`text` is what the recognisers read; `span` maps a span of it back to the original.

    Only the pieces whose length changed are recorded (parallel arrays, in text order);
    between two of them normalised and original offsets differ by a constant."""

    text: str
    norm_starts: array[int] = field(default_factory=lambda: array("q"))
    norm_ends: array[int] = field(default_factory=lambda: array("q"))
    orig_starts: array[int] = field(default_factory=lambda: array("q"))
    orig_ends: array[int] = field(default_factory=lambda: array("q"))

    @property
    def shares_offsets(self) -> bool:
        return not self.norm_starts

    def start(self, position: int) -> int:
        """Where the character at normalised `position` starts in the original."""
        i = bisect.bisect_right(self.norm_starts, position) - 1
        if i < 0:
            return position
        if position < self.norm_ends[i]:
            return self.orig_starts[i]
        return self.orig_ends[i] + position - self.norm_ends[i]

    def end(self, position: int) -> int:
        """Where a value ending (exclusive) at normalised `position` ends in the original: the
        end of the original piece that produced its last character."""
        i = bisect.bisect_right(self.norm_starts, position - 1) - 1
        if i < 0:
            return position
        if position <= self.norm_ends[i]:
            return self.orig_ends[i]
        return self.orig_ends[i] + position - self.norm_ends[i]

    def span(self, span: Span) -> Span:
        if self.shares_offsets:
            return span
        start, end = self.start(span.start), self.end(span.end)
        return Span(start, max(start, end), span.type, span.score, span.source)


def normalize_mapped(text: str) -> NormalizedText:
    """The normalised text and its map back to `text` (see the module's docstring)."""
    flat = text.translate(_TABLE)
    if flat.isascii():
        return NormalizedText(flat)
    if _INVISIBLE_RUN.search(flat) is None and unicodedata.is_normalized("NFKC", flat):
        return NormalizedText(_fold_lookalikes(flat))
    changed = NormalizedText("")  # collects the changed pieces; its text is set at the end
    out: list[str] = []
    cursor = 0  # in the original
    for m in _NON_ASCII_PIECE.finditer(flat):
        piece = m.group()
        if _INVISIBLE_RUN.search(piece) is None and unicodedata.is_normalized("NFKC", piece):
            continue
        out.append(flat[cursor : m.start()])
        _normalize_piece(flat, m.start(), m.end(), out, changed)
        cursor = m.end()
    out.append(flat[cursor:])
    return NormalizedText(
        _fold_lookalikes("".join(out)),
        changed.norm_starts,
        changed.norm_ends,
        changed.orig_starts,
        changed.orig_ends,
    )


def _normalize_piece(
    flat: str, start: int, end: int, out: list[str], changed: NormalizedText
) -> None:
    """Normalise `flat[start:end]` cluster by cluster (a base character with the combining
    marks after it), recording the clusters that do not map one character to one."""
    # Offsets are shifted by a constant since the last recorded cluster.
    shift = changed.norm_ends[-1] - changed.orig_ends[-1] if changed.norm_ends else 0
    i = start
    while i < end:
        j = i + 1
        # An invisible character is a piece of its own (normalised to nothing), so a value
        # next to it does not take it in, and one that it splits covers it.
        while j < end and unicodedata.combining(flat[j]) and not _INVISIBLE_RUN.match(flat[i]):
            j += 1
        cluster = flat[i:j]
        normalized = _nfkc(cluster)
        out.append(normalized)
        # One character to one keeps its place; anything else maps as a whole.
        if len(normalized) != j - i or (j - i > 1 and normalized != cluster):
            changed.norm_starts.append(i + shift)
            changed.norm_ends.append(i + shift + len(normalized))
            changed.orig_starts.append(i)
            changed.orig_ends.append(j)
            shift += len(normalized) - (j - i)
        i = j


@lru_cache(maxsize=4096)
def _nfkc(cluster: str) -> str:
    visible = _INVISIBLE_RUN.sub("", cluster)
    return unicodedata.normalize("NFKC", visible).translate(_TABLE)


def _fold_lookalikes(text: str) -> str:
    """One-to-one, so offsets are unchanged."""
    if _LOOKALIKE.search(text) is None:
        return text
    return _MIXED_WORD.sub(lambda m: m.group().translate(_LOOKALIKES), text)
