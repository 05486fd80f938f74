"""Entity types the PII detector reports, and the span it reports them as."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Final

PERSON: Final = "PERSON"
EMAIL: Final = "EMAIL"
PHONE: Final = "PHONE"
ADDRESS: Final = "ADDRESS"
CREDIT_CARD: Final = "CREDIT_CARD"
IBAN: Final = "IBAN"
US_SSN: Final = "US_SSN"
UK_NINO: Final = "UK_NINO"
DE_STEUER_ID: Final = "DE_STEUER_ID"
FR_NIR: Final = "FR_NIR"
ES_DNI: Final = "ES_DNI"
IT_CODICE_FISCALE: Final = "IT_CODICE_FISCALE"
NL_BSN: Final = "NL_BSN"
PASSPORT: Final = "PASSPORT"
IP_ADDRESS: Final = "IP_ADDRESS"
DATE_OF_BIRTH: Final = "DATE_OF_BIRTH"
MEDICAL_RECORD: Final = "MEDICAL_RECORD"
SECRET: Final = "SECRET"

# Model-based types (names and postal addresses); everything else is exact (regex + checksum).
MODEL_TYPES: Final = frozenset({PERSON, ADDRESS})
ALL_TYPES: Final = (
    PERSON,
    EMAIL,
    PHONE,
    ADDRESS,
    CREDIT_CARD,
    IBAN,
    US_SSN,
    UK_NINO,
    DE_STEUER_ID,
    FR_NIR,
    ES_DNI,
    IT_CODICE_FISCALE,
    NL_BSN,
    PASSPORT,
    IP_ADDRESS,
    DATE_OF_BIRTH,
    MEDICAL_RECORD,
    SECRET,
)
NATIONAL_IDS: Final = (US_SSN, UK_NINO, DE_STEUER_ID, FR_NIR, ES_DNI, IT_CODICE_FISCALE, NL_BSN)

# When two detections overlap, the more specific (higher) one keeps the text.
PRIORITY: Final = {
    SECRET: 90,
    IBAN: 85,
    CREDIT_CARD: 84,
    FR_NIR: 86,  # mod 97 outranks Luhn: a 15-digit NIR can pass Luhn by chance
    IT_CODICE_FISCALE: 83,
    ES_DNI: 82,
    UK_NINO: 82,
    DE_STEUER_ID: 81,
    NL_BSN: 80,
    US_SSN: 80,
    EMAIL: 75,
    IP_ADDRESS: 70,
    PASSPORT: 68,
    MEDICAL_RECORD: 67,
    DATE_OF_BIRTH: 66,
    PHONE: 60,
    ADDRESS: 40,
    PERSON: 30,
}


@dataclass(frozen=True, slots=True)
class Span:
    """One detected value: `text[start:end]` is of `type`. The value itself is never logged."""

    start: int
    end: int
    type: str
    score: float
    source: str  # "pattern", "checksum", "context", "model", "entropy"

    def shifted(self, offset: int) -> Span:
        return Span(self.start + offset, self.end + offset, self.type, self.score, self.source)


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Keep non-overlapping spans, preferring priority, then length, then score."""
    ranked = sorted(
        spans, key=lambda s: (-PRIORITY.get(s.type, 0), -(s.end - s.start), -s.score, s.start)
    )
    kept: list[Span] = []
    starts: list[int] = []  # kept intervals never overlap, so both lists stay sorted together
    ends: list[int] = []
    for span in ranked:
        i = bisect.bisect_left(starts, span.end)  # intervals starting before this one ends
        if i > 0 and ends[i - 1] > span.start:
            continue
        starts.insert(i, span.start)
        ends.insert(i, span.end)
        kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def join_same_type(spans: list[Span]) -> list[Span]:
    """Overlapping spans of one type become one covering both ("PO Box 4471" from a rule and
    "4471, Austin, TX 78701" from the model): what either found is masked."""
    joined: list[Span] = []
    last: dict[str, int] = {}  # type -> index in `joined` of its span that ends last
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        i = last.get(span.type)
        if i is not None and span.start < joined[i].end:
            prev = joined[i]
            if span.end > prev.end:
                score = min(prev.score, span.score)
                joined[i] = Span(prev.start, span.end, prev.type, score, prev.source)
            continue
        last[span.type] = len(joined)
        joined.append(span)
    return joined
