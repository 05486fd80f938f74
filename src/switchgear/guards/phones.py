"""Phone numbers in national format (no country code) after a cue word, checked with
`phonenumbers` (Google's libphonenumber metadata) for the regions the cue or the script hints.

A bare "3772595717" or "916 661 760" is only a phone number in some country, and a regular
expression cannot tell which digits are plausible there; libphonenumber's per-region number
plans can. The region hint comes from the cue's language (`cellulare` → IT, `telemóvel` → PT)
and from the script around it (Arabic → the Gulf states, Devanagari → India, kana → Japan).
A phone-specific cue ("phone", "هاتفي", "携帯") is tried against every supported region too,
since an Indian number sits in an Arabic sentence as easily as in an English one; a cue that
only says "number" is held to its own regions.
"""

# ruff: noqa: RUF001, RUF003  (letters of other scripts are the point of this module)

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata

from switchgear.guards import entities as E
from switchgear.guards.entities import Span

_AFTER = 64  # characters after the cue where the number may start
_GULF = ("AE", "SA", "QA", "KW", "BH", "OM")
_EU = ("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
       "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE")  # fmt: skip
_EAST_ASIA = ("JP", "KR", "CN", "TW", "HK")
SUPPORTED_REGIONS = (*_EU, "GB", "CH", "NO", "US", "CA", "IN", *_EAST_ASIA, *_GULF, "EG", "JO",
                     "IL", "RU", "UA", "TR")  # fmt: skip

# A prefix (و ب ل ال, and لل for ل + ال) and a possessive suffix (ي ك ه نا …) attach to the word.
_ARABIC_AFFIXED = r"(?:[وبل])?(?:لل|ال)?(?:{})(?:ي|ك|ه|ها|نا|كم|هم)?"
# (cue words, regions they hint, whether the word is about phones and not any number)
_CUES: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    (r"phones?|telephone|tel\.?|mobile|cell(?:phone)?|whats\s?app|call(?:ed|ing)?|text\s+me"
     r"|landline|fax|ring\s+me|reach\s+me", ("US", "GB", "IN", "IE", "CA"), True),
    (r"cellulare|cell\.|telefono|chiam(?:a|ami|ate|are)|squillo", ("IT",), True),
    (r"telem[óo]vel|tlm\.?|telefone|celular|liga(?:r|-me)?|ligue", ("PT", "BR"), True),
    (r"tel[ée]fono|m[óo]vil|llam(?:e|a|ar|ame)", ("ES", "MX"), True),
    (r"t[ée]l[ée]phone|portable|appel(?:ez|le|er)|gsm", ("FR", "BE", "CH", "LU"), True),
    (r"telefon(?:nummer)?|handy(?:nummer)?|rufnummer|mobilnummer|anrufen|ruf(?:en|t)",
     ("DE", "AT", "CH"), True),
    (r"telefoon(?:nummer)?|mobiel(?:e nummer)?|bel(?:len)?", ("NL", "BE"), True),
    (r"numero|contatto", ("IT",), False),
    (r"n[úu]mero|contact(?:o|ar|e)(?:-me)?", ("PT", "ES", "BR", "MX"), False),
    (r"num[ée]ro", ("FR", "BE", "CH", "LU"), False),
    (r"nummer", ("DE", "NL", "AT", "BE"), False),
    (_ARABIC_AFFIXED.format(r"هاتف|جوال|موبايل|محمول|تلفون|تليفون|اتصال|اتصل|تواصل|واتساب|واتس"),
     _GULF, True),
    (_ARABIC_AFFIXED.format(r"رقم"), _GULF, False),
    (r"телефон\w*|тел\.|мобильн\w*", ("RU", "UA"), True),
    (r"טלפון|נייד|פלאפון", ("IL",), True),
    (r"फ़ोन|फोन|मोबाइल|नंबर|नम्बर", ("IN",), True),
    (r"τηλ[έε]φων\w*|τηλ\.?|κινητ[όο]\w*", ("GR", "CY"), True),
    (r"kom[óo]rk\w*|zadzwo\w*|dzwo[ńn]\w*", ("PL",), True),
    (r"numer\w*", ("PL",), False),
)  # fmt: skip
# Chinese, Japanese and Korean are written without spaces: no word boundaries around these.
_UNSPACED_CUES = (
    ("ja", r"電話(?:番号)?|携帯(?:電話|番号)?|連絡先", ("JP", "TW", "HK")),
    ("zh", r"电话|手机|手機|联系方式|联系电话|座机|號碼|号码", ("CN", "TW", "HK")),
    ("ko", r"전화(?:번호)?|휴대폰|핸드폰|휴대전화|연락처|번호", ("KR",)),
)
_CUE_WORDS = re.compile(
    "|".join(f"(?<!\\w)(?P<c{i}>{words})(?!\\w)" for i, (words, _, _) in enumerate(_CUES))
    + "".join(f"|(?P<{name}>{words})" for name, words, _ in _UNSPACED_CUES),
    re.IGNORECASE,
)
_CUE_WORDS_LOWER = re.compile(_CUE_WORDS.pattern)  # on lower-cased text: faster than IGNORECASE
_UNSPACED_HINTS = {name: regions for name, _, regions in _UNSPACED_CUES}
_SCRIPT_REGIONS = (
    (re.compile(r"[\u0600-\u06ff]"), _GULF),
    (re.compile(r"[\u0900-\u097f]"), ("IN",)),
    (re.compile(r"[\u3040-\u30ff]"), ("JP",)),
    (re.compile(r"[\u0590-\u05ff]"), ("IL",)),
    (re.compile(r"[\uac00-\ud7a3]"), ("KR",)),
    (re.compile(r"[\u4e00-\u9fff]"), ("CN", "TW", "HK", "JP")),
    (re.compile(r"[\u0400-\u04ff]"), ("RU", "UA")),
    (re.compile(r"[\u0370-\u03ff]"), ("GR", "CY")),
)
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9+])(?:\+|00)?\(?\d[\d \-./()]{4,20}\d(?![A-Za-z0-9])")
_GROUP_CUT = re.compile(r"[ \-./()]+")
_EXTENSION = re.compile(
    r"\s*,?\s*(?:ext\.?|extension|x|#|تحويلة|تحويله|داخلي|فرعي|内線|durchwahl|interno|ramal"
    r"|poste|toestel|доб\.?|wew\.?|εσωτ\.?|שלוחה|내선|分机|分機)\s*:?\s*\d{1,6}(?!\d)",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")


def cued_phones(text: str) -> Iterator[Span]:
    """National-format numbers that a cue word introduces and a hinted region's plan accepts."""
    lowered = text.lower()
    cues = _CUE_WORDS_LOWER if len(lowered) == len(text) else _CUE_WORDS
    for cue in cues.finditer(lowered if cues is _CUE_WORDS_LOWER else text):
        name = cue.lastgroup or ""
        hinted: tuple[str, ...]
        unspaced = _UNSPACED_HINTS.get(name)
        if unspaced is not None:
            hinted, phone_word = unspaced, True
        else:
            _, hinted, phone_word = _CUES[int(name[1:])]
        window_end = min(len(text), cue.end() + _AFTER)
        scripts = _script_regions(text[max(0, cue.start() - _AFTER) : window_end])
        plans = _Plans(tuple(dict.fromkeys(hinted + scripts)), scripts, phone_word)
        for m in _CANDIDATE.finditer(text, cue.end(), window_end):
            end = _valid_end(m.group(), plans)
            if end is None:
                continue
            end += m.start()
            ext = _EXTENSION.match(text, end)
            yield Span(m.start(), ext.end() if ext else end, E.PHONE, 0.8, "context")


@dataclass(frozen=True, slots=True)
class _Plans:
    """The regions whose number plans a candidate is checked against."""

    hinted: tuple[str, ...]  # by the cue's language and the script around it
    scripts: tuple[str, ...]  # by the script alone
    phone_word: bool  # the cue is about phones: every supported region may be meant

    def accept(self, value: str, digits: str) -> bool:
        if value.startswith(("+", "00")):
            return _valid_in(value if value.startswith("+") else "+" + value[2:], None)
        # Many plans accept almost any 8 digits ("call it 12345678 times"): a short number
        # written in one block counts only where the script points to a country of 8-digit
        # numbers (Qatar, Kuwait, Bahrain, Oman).
        short = len(digits) < 9 and len(digits) == len(value)
        regions = self.scripts if short else self.hinted
        if any(_fits(digits, r) and _valid_in(value, r) for r in regions):
            return True
        if short or not self.phone_word:
            return False
        return any(_fits(digits, r) and _valid_in(value, r) for r in SUPPORTED_REGIONS)


def _script_regions(around: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for script, regions in _SCRIPT_REGIONS:
        if script.search(around):
            found.update(dict.fromkeys(regions))
    return tuple(found)


def _valid_end(candidate: str, plans: _Plans) -> int | None:
    """Length of the longest prefix of `candidate`, cut between digit groups, that is a valid
    number (a greedy match can take in a following number)."""
    end = len(candidate)
    while True:
        value = candidate[:end].rstrip(" -./(")
        digits = "".join(_DIGIT.findall(value))
        if len(digits) < 6:
            return None
        if plans.accept(value.lstrip("("), digits):
            return len(value)
        cuts = [g.start() for g in _GROUP_CUT.finditer(candidate, 0, end)]
        if not cuts:
            return None
        end = cuts[-1]


@lru_cache(maxsize=8192)
def _valid_in(value: str, region: str | None) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, region))
    except NumberParseException:
        return False


@lru_cache(maxsize=256)
def _plan(region: str) -> tuple[frozenset[int], str]:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.general_desc is None:
        return frozenset(), ""
    lengths = frozenset(metadata.general_desc.possible_length or ())
    return lengths, metadata.national_prefix or ""


def _fits(digits: str, region: str) -> bool:
    """A cheap look at the number plan's lengths before the (slower) full parse."""
    lengths, trunk = _plan(region)
    if len(digits) in lengths:
        return True
    return bool(trunk) and digits.startswith(trunk) and len(digits) - len(trunk) in lengths
