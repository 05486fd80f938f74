"""Dates in document text, for ordering versions when no metadata says which is newer.

A small parser rather than a library: python-dateutil (installed) knows English month names
only, and none of the installed ones read `1. Januar 2025` or `2025年4月1日`. Read here: ISO
(`2025-01-01`, `2025/01/01`), numeric day-first with dots (`01.03.2025`), slashes (month
first after an English cue, else day first; unambiguous when one part is over 12), month
names in English, German, Spanish and French (`March 1, 2025`, `1 March 2025`, `1. März
2025`, `1 de marzo de 2025`, `1er mars 2025`, `March 2025`), and CJK `2025年4月1日`.

`found_date` prefers a date next to a cue (`Effective date:`, `valid from`, `gültig ab`,
`vigente desde`, `en vigueur`, `施行`, …) in the title or opening lines, then any full date in
the title, a year in the title (`Travel Policy 2025`), then the first full date of the opening.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_MONTHS = {
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    # German
    "januar": 1, "janner": 1, "februar": 2, "marz": 3, "maerz": 3, "mai": 5, "juni": 6,
    "juli": 7, "oktober": 10, "dezember": 12,
    # Spanish
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12,
    # French (accents are folded before matching)
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "juin": 6, "juillet": 7, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}  # fmt: skip
_MONTH = "(?P<month>" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + ")"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_DAY = r"(?P<day>[0-3]?\d)"
_PATTERNS = [
    re.compile(rf"\b{_YEAR}[-/.](?P<mnum>[01]?\d)[-/.]{_DAY}\b"),
    re.compile(rf"{_YEAR}\s*年\s*(?P<mnum>[01]?\d)\s*月(?:\s*{_DAY}\s*日)?"),
    re.compile(rf"\b{_DAY}\.\s?(?P<mnum>[01]?\d)\.\s?{_YEAR}\b"),
    re.compile(rf"\b(?P<first>[0-3]?\d)/(?P<second>[0-3]?\d)/{_YEAR}\b"),
    re.compile(rf"\b{_MONTH}\.?\s+{_DAY}(?:st|nd|rd|th)?,?\s+{_YEAR}\b"),
    re.compile(rf"\b{_DAY}(?:er|\.|st|nd|rd|th)?\s+(?:de\s+)?{_MONTH}\.?,?\s+(?:de\s+)?{_YEAR}\b"),
    re.compile(rf"\b{_MONTH}\.?\s+(?:de\s+)?{_YEAR}\b"),
]
_CUE = re.compile(
    r"effective(?:\s+date)?|valid\s+(?:from|as\s+of|since)|in\s+effect\s+(?:from|as\s+of)|"
    r"applies\s+from|as\s+of|gultig\s+(?:ab|seit)|in\s+kraft|wirksam\s+ab|"
    r"vigente\s+desde|vigencia|en\s+vigor|a\s+partir\s+del?|entrada\s+en\s+vigor|"
    r"en\s+vigueur|a\s+compter\s+du|applicable\s+a\s+partir\s+du|"
    r"施行|発効|生效|実施|适用|適用",
    re.IGNORECASE,
)
_ENGLISH_CUE = re.compile(r"effective|valid|in\s+effect|applies|as\s+of", re.IGNORECASE)
_TITLE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_CUE_REACH = 40  # characters between a cue and its date


def _fold(text: str) -> str:
    """Case-folded with accents off, as the month table is written (`März` -> `marz`). CJK
    is untouched: NFKD splits no ideograph, and full-width digits become ASCII ones."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _dates(text: str, month_first: bool) -> list[tuple[int, int, date]]:
    """Every date in `text` as (start, end, date), in order of position."""
    found: list[tuple[int, int, date]] = []
    taken: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            when = _date_of(match, month_first)
            if when is not None:
                found.append((match.start(), match.end(), when))
                taken.append((match.start(), match.end()))
    return sorted(found, key=lambda item: item[0])


def _date_of(match: re.Match[str], month_first: bool) -> date | None:
    parts = match.groupdict()
    year = int(parts["year"])
    if parts.get("first"):
        first, second = int(parts["first"]), int(parts["second"])
        if first > 12 or (second <= 12 and not month_first):
            day, month = first, second
        else:
            month, day = first, second
    else:
        month = _MONTHS[parts["month"]] if parts.get("month") else int(parts["mnum"])
        day = int(parts["day"]) if parts.get("day") else 1
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    """One date written alone (metadata values): ISO first, then the forms above."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        pass
    found = _dates(_fold(text), month_first=True)
    return found[0][2] if found else None


def found_date(title: str, opening: str) -> date | None:
    """The effective date a document states about itself, or None."""
    for text in (title, opening):
        folded = _fold(text)
        for cue in _CUE.finditer(folded):
            month_first = bool(_ENGLISH_CUE.match(cue.group(0)))
            for start, end, when in _dates(folded, month_first):
                after = 0 <= start - cue.end() <= _CUE_REACH
                before = 0 <= cue.start() - end <= 2  # `2025年4月1日施行`
                if after or before:
                    return when
    title_dates = _dates(_fold(title), month_first=True)
    if title_dates:
        return title_dates[0][2]
    year = _TITLE_YEAR.search(title)
    if year:
        return date(int(year.group(1)), 1, 1)
    opening_dates = _dates(_fold(opening), month_first=True)
    return opening_dates[0][2] if opening_dates else None
