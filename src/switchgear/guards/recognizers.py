"""Exact recognisers: regular expressions whose matches must also pass a checksum or a format
rule. They run on normalised text (see `normalize`), so Arabic-Indic digits count as digits.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator

from switchgear.guards import checksums
from switchgear.guards import entities as E
from switchgear.guards.entities import Span

Recognizer = Callable[[str], Iterator[Span]]

_SEPARATORS = re.compile(r"[\s.\-/]")


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


_EMAIL = re.compile(
    r"(?<![\w.+\-])[\w!#$%&'*+/=?^`{|}~\-]+(?:\.[\w!#$%&'*+/=?^`{|}~\-]+)*"
    r"@(?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+[^\W\d_]{2,24}(?![\w\-])"
)


def emails(text: str) -> Iterator[Span]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        yield Span(m.start(), m.end(), E.EMAIL, 0.99, "pattern")


_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?!\d|\.\d)"
)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:|:){2,7}(?::|[0-9A-Fa-f]{1,4})(?![\w:])")


def ip_addresses(text: str) -> Iterator[Span]:
    for m in _IPV4.finditer(text):
        yield Span(m.start(), m.end(), E.IP_ADDRESS, 0.9, "pattern")
    if "::" in text or text.count(":") >= 5:
        for m in _IPV6.finditer(text):
            try:
                ipaddress.IPv6Address(m.group())
            except ValueError:
                continue
            yield Span(m.start(), m.end(), E.IP_ADDRESS, 0.9, "pattern")


_CARD = re.compile(r"(?<![\d\-])\d(?:[ \-]?\d){11,18}(?![\d])")


def credit_cards(text: str) -> Iterator[Span]:
    for m in _CARD.finditer(text):
        if checksums.credit_card(_compact(m.group())):
            yield Span(m.start(), m.end(), E.CREDIT_CARD, 0.95, "checksum")


_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]){11,32}(?![A-Za-z0-9])")
_IBAN_GROUP = re.compile(r"[ \-]")


def ibans(text: str) -> Iterator[Span]:
    for m in _IBAN.finditer(text):
        raw = m.group()
        # A greedy match can swallow a following word; shrink group by group until it checks.
        end = len(raw)
        while end >= 15:
            if checksums.iban(_compact(raw[:end])):
                yield Span(m.start(), m.start() + end, E.IBAN, 0.99, "checksum")
                break
            cut = [g.start() for g in _IBAN_GROUP.finditer(raw, 0, end)]
            if not cut:
                break
            end = cut[-1]


_SSN = re.compile(r"(?<![\d\-])(\d{3})([\- ])(\d{2})\2(\d{4})(?![\d\-])")
_NINO = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]?(?![A-Za-z0-9])")
_STEUER_ID = re.compile(r"(?<![\d\-/])\d{2} ?\d{3} ?\d{3} ?\d{3}(?![\d\-/])")
_NIR = re.compile(
    r"(?<![\d])[12378] ?\d{2} ?\d{2} ?(?:\d{2}|2[ABab]) ?\d{3} ?\d{3} ?(?:\d{2})(?!\d)"
)
_DNI = re.compile(r"(?<![A-Za-z0-9])(?:\d{8}|[XYZxyz][ \-]?\d{7})[ \-]?[A-Za-z](?![A-Za-z0-9])")
_CODICE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}"
    r"[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z](?![A-Za-z0-9])"
)


def national_ids(text: str) -> Iterator[Span]:
    for m in _SSN.finditer(text):
        if checksums.us_ssn(m.group(1) + m.group(3) + m.group(4)):
            yield Span(m.start(), m.end(), E.US_SSN, 0.85, "pattern")
    for m in _NINO.finditer(text):
        if checksums.uk_nino(_compact(m.group())):
            yield Span(m.start(), m.end(), E.UK_NINO, 0.85, "pattern")
    for m in _STEUER_ID.finditer(text):
        if checksums.de_steuer_id(_compact(m.group())):
            yield Span(m.start(), m.end(), E.DE_STEUER_ID, 0.6, "checksum")
    for m in _NIR.finditer(text):
        if checksums.fr_nir(_compact(m.group())):
            yield Span(m.start(), m.end(), E.FR_NIR, 0.95, "checksum")
    for m in _DNI.finditer(text):
        if checksums.es_dni(_compact(m.group())):
            yield Span(m.start(), m.end(), E.ES_DNI, 0.9, "checksum")
    for m in _CODICE.finditer(text):
        if checksums.it_codice_fiscale(m.group().upper()):
            yield Span(m.start(), m.end(), E.IT_CODICE_FISCALE, 0.97, "checksum")


_PHONE_INTL = re.compile(
    r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[ .\-]?\(0\))?(?:[ .\-/]?\(?\d{1,5}\)?){1,6}"
    r"(?:\s?(?:x|ext\.?|ext)\s?\d{1,5})?(?![\w])"
)
_PHONE_NATIONAL = re.compile(
    r"(?<![\w+\-./])\(?0\d{1,4}\)?(?:[ .\-/]?\d{2,4}){2,4}(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w\-])"
)
_PHONE_PAREN_CC = re.compile(  # "(351) 912 347 084": a country code in parentheses
    r"(?<![\w+\-])\(\d{1,3}\)[ .\-]?\d{2,4}(?:[ .\-]?\d{2,4}){1,3}(?![\w\-])"
)
_PHONE_NANP = re.compile(
    r"(?<![\w+\-])(?:1[ .\-]?)?\(?[2-9]\d{2}\)?[ .\-]?[2-9]\d{2}[ .\-]\d{4}"
    r"(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w\-])"
)
_DIGIT = re.compile(r"\d")


def phones(text: str) -> Iterator[Span]:
    for pattern, low, high in (
        (_PHONE_PAREN_CC, 9, 14),
        (_PHONE_INTL, 8, 17),
        (_PHONE_NATIONAL, 9, 13),
        (_PHONE_NANP, 10, 16),
    ):
        for m in pattern.finditer(text):
            value = m.group().rstrip(" .-/")
            digits = len(_DIGIT.findall(value))
            if low <= digits <= high:
                yield Span(m.start(), m.start() + len(value), E.PHONE, 0.8, "pattern")


# Recognisers whose values always contain a digit (run only near digits).
DIGIT_RECOGNIZERS: tuple[Recognizer, ...] = (
    ip_addresses,
    credit_cards,
    ibans,
    national_ids,
    phones,
)
