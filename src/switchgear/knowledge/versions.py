"""Document versions: which documents of a collection are versions of one another, and which
of them is current.

A document's version facts come from metadata (YAML front matter, the upload's `metadata`
field, a connector) with the keys `effective_date`, `supersedes`, `version_group` and `title`;
where nobody says, a date is looked for in the title and first lines, and near-duplicates are
found by MinHash over word shingles of the normalised text (digits masked, so two versions
that differ in amounts and dates still look alike; see `NEAR_DUPLICATE`).

Order inside a group, newest last: an explicit `supersedes` wins, then the effective date
(metadata, else the date found in the text), then the ingestion time. Every member but the
newest is `superseded_by` its successor; retrieval leaves superseded chunks out unless asked.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np

from switchgear.knowledge.records import ParsedDocument
from switchgear.knowledge.version_dates import found_date, parse_date

Versions = Literal["current", "all"]
MetadataInput = Mapping[str, str | list[str]]
METADATA_KEYS = ("effective_date", "supersedes", "version_group", "title")
# Estimated Jaccard similarity of 5-word shingles at or above which two documents are
# versions of one another. On tests/knowledge/version_docs.py (short policies, where the
# shared boilerplate is a large share of the text): versions that differ in a few amounts,
# dates and a sentence score 0.79-0.93 (English and Japanese; exact Jaccard of the English
# pairs 0.84-0.92); different policies of one company sharing a boilerplate paragraph score
# 0.02-0.31 (exact 0.20-0.31).
NEAR_DUPLICATE = 0.6
SHINGLE_WORDS = 5
SIGNATURE_SIZE = 128
OPENING_CHARS = 600  # "the first lines" searched for a stated date
# Universal hashing (a * x + b) mod p with p the largest prime below 2**32: with a < 2**31
# and x < 2**32 the product fits uint64 and wraps modulo p many times, as it must for the
# permutations to be independent.
_PRIME = 4294967291
# Stored signatures are compared with new ones, so the coefficients are derived from fixed
# text (a random generator's stream may change with a numpy release).
_COEFFICIENTS = [
    int.from_bytes(hashlib.blake2b(f"minhash-{i}".encode(), digest_size=8).digest(), "little")
    for i in range(2 * SIGNATURE_SIZE)
]
_A = np.array([1 + c % ((1 << 31) - 1) for c in _COEFFICIENTS[::2]], dtype=np.uint64)
_B = np.array([c % (1 << 31) for c in _COEFFICIENTS[1::2]], dtype=np.uint64)
# A word, or one CJK character (those scripts write no spaces: characters are the words).
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
_DIGIT = re.compile(r"\d")


class MetadataError(ValueError):
    """Document metadata with an unknown key or a value of the wrong shape."""


@dataclass(frozen=True, slots=True)
class DocumentMetadata:
    effective_date: date | None = None
    supersedes: tuple[str, ...] = ()
    version_group: str | None = None
    title: str | None = None

    def digest(self) -> str:
        """Changes when any fact changes: a re-upload with new metadata is re-indexed."""
        text = (
            f"{self.effective_date}|{','.join(self.supersedes)}|{self.version_group}|{self.title}"
        )
        return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class VersionFacts:
    """What the store keeps per document to group and order versions."""

    effective_date: str | None = None  # ISO date
    supersedes: tuple[str, ...] = ()
    version_group: str | None = None  # explicit; None: detected from `signature`
    signature: bytes = b""


@dataclass(frozen=True, slots=True)
class VersionMember:
    source: str
    supersedes: tuple[str, ...]
    effective_date: str | None
    ingested_at: float


def parse_metadata(raw: MetadataInput | None) -> DocumentMetadata:
    """Checked metadata; unknown keys are refused so a typo is not silently ignored."""
    if not raw:
        return DocumentMetadata()
    unknown = sorted(set(raw) - set(METADATA_KEYS))
    if unknown:
        raise MetadataError(
            f"unknown metadata key(s) {', '.join(unknown)}; use {', '.join(METADATA_KEYS)}"
        )
    effective = raw.get("effective_date")
    when = parse_date(effective) if isinstance(effective, str) else None
    if effective is not None and when is None:
        raise MetadataError(f"effective_date `{effective}` is not a date (use YYYY-MM-DD)")
    supersedes = raw.get("supersedes") or []
    names = [supersedes] if isinstance(supersedes, str) else list(supersedes)
    if not all(isinstance(n, str) and n.strip() for n in names):
        raise MetadataError("supersedes must be a source name or a list of them")
    return DocumentMetadata(
        effective_date=when,
        supersedes=tuple(n.strip() for n in names),
        version_group=_text(raw, "version_group"),
        title=_text(raw, "title"),
    )


def _text(raw: MetadataInput, key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MetadataError(f"{key} must be a string")
    return value.strip() or None


def merged_metadata(*layers: MetadataInput | None) -> dict[str, str | list[str]]:
    """Later layers win key by key: front matter, then what the upload or connector says."""
    merged: dict[str, str | list[str]] = {}
    for layer in layers:
        merged.update(layer or {})
    return merged


def version_facts(document: ParsedDocument, metadata: DocumentMetadata) -> VersionFacts:
    """The facts for one document: the metadata date, else one found in the title or the
    opening lines; the near-duplicate signature of its text."""
    texts = [block.text for block in document.blocks]
    title = metadata.title or document.title
    when = metadata.effective_date or found_date(title, "\n".join(texts)[:OPENING_CHARS])
    return VersionFacts(
        effective_date=when.isoformat() if when else None,
        supersedes=metadata.supersedes,
        version_group=metadata.version_group,
        signature=signature("\n".join(texts)),
    )


def shingles(text: str) -> set[str]:
    """Overlapping runs of `SHINGLE_WORDS` words (or CJK characters), NFKC case-folded,
    every digit masked as `0`."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = [_DIGIT.sub("0", w) for w in _WORD.findall(folded)]
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def signature(text: str) -> bytes:
    """A MinHash signature (`SIGNATURE_SIZE` 32-bit minima); empty for a text with no words."""
    found = shingles(text)
    if not found:
        return b""
    hashes = np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(s.encode(), digest_size=4).digest(), "little")
            for s in found
        ),
        dtype=np.uint64,
        count=len(found),
    )
    minima = np.full(SIGNATURE_SIZE, np.iinfo(np.uint64).max, dtype=np.uint64)
    for start in range(0, len(hashes), 4096):  # bounded memory for long documents
        block = hashes[start : start + 4096, None]
        permuted = (block * _A + _B) % np.uint64(_PRIME)
        minima = np.minimum(minima, permuted.min(axis=0))
    return minima.astype("<u4").tobytes()


def similarity(left: bytes, right: bytes) -> float:
    """Estimated Jaccard similarity of two signatures' shingle sets."""
    if not left or len(left) != len(right):
        return 0.0
    a = np.frombuffer(left, dtype="<u4")
    b = np.frombuffer(right, dtype="<u4")
    return float(np.mean(a == b))


def detected_group(
    source: str, facts: VersionFacts, others: Sequence[tuple[str, str | None, bytes]]
) -> str | None:
    """The version group for a newly written document: the explicit one; else the group of a
    document it names in `supersedes`; else that of its nearest near-duplicate (a group is
    named after its first member's source); else none. `others`: (source, group, signature)
    of the collection's other documents."""
    if facts.version_group:
        return facts.version_group
    groups = {other: group for other, group, _ in others}
    for named in facts.supersedes:
        if named in groups:
            return groups[named] or named
    best, best_score = None, NEAR_DUPLICATE
    for other, group, other_signature in others:
        score = similarity(facts.signature, other_signature)
        if other != source and score >= best_score:
            best, best_score = group or other, score
    if best is None and facts.supersedes:
        return facts.supersedes[0]  # the older version may be ingested later
    return best


def superseded_by(members: Sequence[VersionMember]) -> dict[str, str | None]:
    """Each member's direct successor (None for the current version). Oldest to newest, a
    member is placed once every member it explicitly supersedes is placed; among those that
    may go next the oldest goes first: by effective date when every member has one (dates
    cannot be compared with a missing one), else by ingestion time."""
    dated = all(m.effective_date for m in members)
    remaining = {m.source: m for m in members}
    order: list[str] = []
    while remaining:
        ready = [
            m for m in remaining.values() if not any(s in remaining for s in m.supersedes)
        ] or list(remaining.values())  # a cycle of `supersedes`: fall back to the age order
        oldest = min(
            ready, key=lambda m: (m.effective_date if dated else "", m.ingested_at, m.source)
        )
        order.append(oldest.source)
        del remaining[oldest.source]
    successors: dict[str, str | None] = dict.fromkeys(order)
    for older, newer in itertools.pairwise(order):
        successors[older] = newer
    return successors
