"""Decoded views of a prompt, so an instruction hidden in an encoding is scored as plain text.

`decoded_views(text)` returns the text's plain reading: NFKC (folds full-width and styled
letters), zero-width, bidi and variation characters removed, Cyrillic/Greek look-alikes folded,
and base64, hex, percent-encoding, Unicode tag characters, spaced-out letters and leetspeak
decoded in place; then rot13 and reversed rewrites when they read better than it. The caller
scores each view and keeps the highest score. An ordinary prompt is its own plain reading and
gets no other view.

Bounded: only the first `MAX_SCAN_CHARS` characters are decoded (the rest is normalised),
at most `MAX_RUNS` runs per encoding and pass are decoded, decoding grows the text by at most
`MAX_VIEW_CHARS`, and every regex is linear.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

MAX_SCAN_CHARS = 20_000
MAX_VIEW_CHARS = 8_000
MAX_RUNS = 8


@dataclass(frozen=True, slots=True)
class View:
    how: str  # e.g. "normalised", "base64", "rot13", "base64>rot13"
    text: str


# Invisible characters that split a word for a matcher but not for a reader (or a model).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufe00-\ufe0f\ufeff\U000e0000-\U000e007f]"
)
_TAGS = re.compile("[\U000e0020-\U000e007e]{4,}")  # ASCII smuggled as Unicode tag characters
# Look-alike letters that NFKC leaves alone (Cyrillic and Greek), folded to their Latin twin.
_CONFUSABLE = str.maketrans(
    "аеорсухіјѕԁһӏԛԝɡАВЕКМНОРСТХІЅЈαορνικτυεΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhlqwgABEKMHOPCTXISJaopviktueABEZHIKMNOPTYX",
)
_CONFUSABLE_CHARS = frozenset("аеорсухіјѕԁһӏԛԝɡАВЕКМНОРСТХІЅЈαορνικτυεΑΒΕΖΗΙΚΜΝΟΡΤΥΧ")
_WORD = re.compile(r"\w+")
_B64 = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX = re.compile(r"(?<![0-9A-Fa-f])(?:0x)?[0-9A-Fa-f]{16,}(?![0-9A-Fa-f])")
_HEX_SPACED = re.compile(r"(?:(?:0x|\\x)?[0-9A-Fa-f]{2}[ ,:]?){8,}")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_TOKEN = re.compile(r"(?<![\w@$!|+/%])[A-Za-z0-9@$!|]{3,20}(?![\w@$!|+/])")
# A leet word has a letter and a leet character before its last position ("pr3vious").
_LEET_INSIDE = re.compile(r"[0134579@$!|](?=[A-Za-z0-9@$!|])|(?<=[A-Za-z])[0134579@$]")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g",
                       "@": "a", "$": "s", "!": "i", "|": "l"})  # fmt: skip
# Letters spaced out one by one ("i g n o r e  a l l"), 3+ letters, one separator between.
_SPACED = re.compile(r"(?<!\w)(?:\w[ .\-_*]){2,}\w(?!\w)")
_LETTERS = re.compile(r"[^\W\d_]{3}")
# Common words of the seven screened languages: a decoded view that has more of them than
# the text it came from is text, not noise.
_COMMON_WORDS = (
    "the and you your all to of is a are in it that this for with on be me my now tell what "
    "ignore previous instructions system prompt rules any from as not do say write give show "
    "el la de que y en los las tu su por para con es una un "
    "le les des et est vous tes ton pour avec une "
    "der die das und ist du ich nicht mit den ein eine alle "
    "il di che e per una sono tutte "
    "o os do da em um uma você "
    "het een en van je niet"
)
_COMMON = frozenset(_COMMON_WORDS.split())
# Letter pairs frequent in those languages; rot13 or reversed text has few of them.
_BIGRAMS = (
    "th he in er an re on en at es ed te ti or st ar nd to nt is de ie ch ei un ll ou ha ng al "
    "it as se ra ri le ne co ca ta di si"
)
_COMMON_BIGRAMS = frozenset(_BIGRAMS.split())
_LETTER_RUN = re.compile(r"[^\W\d_]+")


def decoded_views(text: str) -> list[View]:
    """What the text says once decoded: first its plain reading (encoded runs decoded in place,
    look-alikes folded, invisible characters removed, spaced letters joined, leetspeak
    folded), then whole-text rewrites of that reading (rot13, reversed) that read better than
    it. The plain reading stands in for the original: the way a text is written is not what it
    says, so a benign base64 attachment or a zero-width space scores as the text it hides."""
    plain, steps = plain_reading(text)
    views = [View("+".join(steps) or "original", plain)]
    head = plain[:MAX_SCAN_CHARS]
    for how, rewrite in (("rot13", codecs.encode(head, "rot13")), ("reversed", head[::-1])):
        if _reads_better(rewrite, head):
            views.append(View(how, rewrite))
    return views


def plain_reading(text: str) -> tuple[str, list[str]]:
    """The text with every encoding found in its first `MAX_SCAN_CHARS` decoded in place, and
    the names of the decodings applied."""
    head, tail = text[:MAX_SCAN_CHARS], text[MAX_SCAN_CHARS:]
    steps: list[str] = []

    def step(how: str, after: str) -> None:
        nonlocal head
        if after != head:
            steps.append(how)
            head = after[: MAX_SCAN_CHARS + MAX_VIEW_CHARS]

    step("unicode-tags", _TAGS.sub(lambda m: _untag(m.group()), head))
    step("normalised", normalise(head))
    for _ in range(2):  # two layers: the hex inside a base64 run
        step("base64", _replace_runs(_B64, _from_base64, head))
        step("hex", _replace_runs(_HEX, _from_hex, _replace_runs(_HEX_SPACED, _from_hex, head)))
        if len(_PERCENT.findall(head)) >= 3:
            step("percent", urllib.parse.unquote(head))
    if _SPACED.search(head):
        step("spaced", _despace(head))
    step("leetspeak", _TOKEN.sub(_unleet, head))
    return head + (normalise(tail) if tail else ""), steps


def _replace_runs(pattern: re.Pattern[str], decode: Callable[[str], str | None], text: str) -> str:
    budget = [MAX_RUNS]

    def replace(m: re.Match[str]) -> str:
        if budget[0] <= 0:
            return m.group()
        budget[0] -= 1
        decoded = decode(m.group())
        return f" {decoded} " if decoded else m.group()

    return pattern.sub(replace, text)


def normalise(text: str) -> str:
    """NFKC, invisible characters removed, look-alike letters folded where the text is Latin."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    if not any(c in _CONFUSABLE_CHARS for c in text):
        return text
    letters = [c for c in text if c.isalpha()]
    latin = sum(1 for c in letters if c.isascii())
    if latin * 2 >= len(letters):
        return text.translate(_CONFUSABLE)
    # Mostly Cyrillic/Greek text: fold only words that mix scripts (a spoofed Latin word).
    return _WORD.sub(
        lambda m: (
            m.group().translate(_CONFUSABLE)
            if any(c.isascii() and c.isalpha() for c in m.group())
            else m.group()
        ),
        text,
    )


def _unleet(m: re.Match[str]) -> str:
    token = m.group()
    if not any(c.isalpha() for c in token) or not _LEET_INSIDE.search(token):
        return token
    return token.translate(_LEET)


def _untag(run: str) -> str:
    return "".join(chr(ord(c) - 0xE0000) for c in run)


def _readable(raw: bytes) -> str | None:
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(1 for c in decoded if c.isprintable() or c in "\n\t")
    if len(decoded) < 4 or printable < 0.9 * len(decoded):
        return None
    letters = sum(1 for c in decoded if c.isalpha())
    # Text has a word in it, or is at least a third letters (hashes and keys are neither),
    # or is itself one encoded run: a layer the next pass decodes.
    layer = _HEX.fullmatch(decoded.strip()) or _B64.fullmatch(decoded.strip())
    if not _LETTERS.search(decoded) and letters * 3 < len(decoded) and not layer:
        return None
    return decoded


def _from_base64(run: str) -> str | None:
    body = run.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return _readable(raw)


def _from_hex(run: str) -> str | None:
    digits = re.sub(r"0x|\\x|[ ,:]", "", run)
    if len(digits) % 2:
        digits = digits[:-1]
    try:
        return _readable(bytes.fromhex(digits))
    except ValueError:
        return None


def _common_share(text: str) -> float:
    words = _WORD.findall(text.lower())
    return sum(1 for w in words if w in _COMMON) / len(words) if words else 0.0


def _bigram_share(text: str) -> float:
    words = _LETTER_RUN.findall(text.lower())
    pairs = [w[i : i + 2] for w in words for i in range(len(w) - 1)]
    return sum(1 for p in pairs if p in _COMMON_BIGRAMS) / len(pairs) if pairs else 0.0


def _reads_better(candidate: str, original: str) -> bool:
    """More common words, or clearly more common letter pairs, than the text it came from."""
    share = _common_share(candidate)
    if share >= 0.2 and share > 2 * _common_share(original):
        return True
    pairs = _bigram_share(candidate)
    return pairs >= 0.3 and pairs >= _bigram_share(original) + 0.1


def _despace(text: str) -> str:
    """Join spaced-out letters; a double gap (or ' / ') between letter groups is a word gap.
    Text that is mostly single characters is joined chunk by chunk, short words included."""
    tokens = text.split()
    chunks = re.split(r"\s{2,}|\s/\s", text)
    if len(chunks) > 1 and sum(1 for t in tokens if len(t) == 1) >= 0.6 * len(tokens):
        return " ".join(
            "".join(c.split()) if all(len(t) == 1 for t in c.split()) else c for c in chunks
        )

    def join(m: re.Match[str]) -> str:
        return re.sub(r"[ .\-_*]", "", m.group())

    return " ".join(_SPACED.sub(join, chunk) for chunk in chunks)
