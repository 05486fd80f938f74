from __future__ import annotations

import time
import tracemalloc

import pytest

from switchgear.guards import entities as E
from switchgear.guards.errors import GuardTimeout
from switchgear.guards.pii import PiiDetector

ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def found(detector: PiiDetector, text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.type) for s in detector.scan(text).spans]


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("Write to jane.doe@example.com today", "jane.doe@example.com", E.EMAIL),
        ("IBAN DE89 3704 0044 0532 0130 00 please", "DE89 3704 0044 0532 0130 00", E.IBAN),
        ("pay with 4111 1111 1111 1111 now", "4111 1111 1111 1111", E.CREDIT_CARD),
        ("Meine Steuer-ID ist 65929970489.", "65929970489", E.DE_STEUER_ID),
        ("NIR 1 72 02 32 013 121 26 merci", "1 72 02 32 013 121 26", E.FR_NIR),
        ("Mi DNI es 74446788C.", "74446788C", E.ES_DNI),
        ("NIE Z7805218N", "Z7805218N", E.ES_DNI),
        ("CF BCCFRC15M25E852P", "BCCFRC15M25E852P", E.IT_CODICE_FISCALE),
        ("Mijn BSN is 214035797.", "214035797", E.NL_BSN),
        ("SSN 138-73-1034", "138-73-1034", E.US_SSN),
        ("NINO AB 12 34 56 C", "AB 12 34 56 C", E.UK_NINO),
        ("call +44 20 7946 0958 now", "+44 20 7946 0958", E.PHONE),
        ("from 192.168.1.20 at night", "192.168.1.20", E.IP_ADDRESS),
        ("via 2001:db8::1 too", "2001:db8::1", E.IP_ADDRESS),
        ("passport number X1234567.", "X1234567", E.PASSPORT),
        ("born on 3 May 1971 in Leeds", "3 May 1971", E.DATE_OF_BIRTH),
        ("MRN: 12345678", "12345678", E.MEDICAL_RECORD),
        (
            "key sk-proj-abcdEFGH1234ijklMNOP5678qrst ok",
            "sk-proj-abcdEFGH1234ijklMNOP5678qrst",
            E.SECRET,
        ),
        ("aws AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", E.SECRET),
        (
            "token Xq3vR9tLm2Kp8WzY4bN7cD1fG6hJ0sA5 here",
            "Xq3vR9tLm2Kp8WzY4bN7cD1fG6hJ0sA5",
            E.SECRET,
        ),
    ],
)
def test_structured_identifiers_are_found(
    detector: PiiDetector, text: str, value: str, kind: str
) -> None:
    assert (value, kind) in found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "IBAN DE89 3704 0044 0532 0130 01",  # one digit off
        "Meine Steuer-ID ist 65929970488.",
        "NIR 1 72 02 32 013 121 27",
        "Mi DNI es 74446788D.",
        "CF BCCFRC15M25E852Q",
        "Mijn BSN is 214035798.",
        "card 4111 1111 1111 1112",
        # Without its label an SSN-shaped number must follow the SSA's rules (area 666 is
        # never issued); next to "SSN" it is masked anyway (test_pii_phones_labels.py).
        "ticket 666-73-1034",
    ],
)
def test_wrong_check_digits_are_not_reported(detector: PiiDetector, text: str) -> None:
    kinds = {k for _, k in found(detector, text)}
    assert not kinds & {E.IBAN, E.DE_STEUER_ID, E.FR_NIR, E.ES_DNI, E.IT_CODICE_FISCALE,
                        E.NL_BSN, E.CREDIT_CARD, E.US_SSN}  # fmt: skip


def test_arabic_indic_digits_are_identifiers_too(detector: PiiDetector) -> None:
    phone, iban = "+971 50 123 4567".translate(ARABIC), "DE89370400440532013000"
    text = f"رقم الهاتف {phone} والحساب {iban.translate(ARABIC)}"
    spans = found(detector, text)
    assert (phone, E.PHONE) in spans
    assert (iban.translate(ARABIC), E.IBAN) in spans


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hello, my name is Marie Dubois and I need help.", "Marie Dubois"),
        ("Ayer hablé con José García sobre el contrato.", "José García"),
        ("Ich heiße Hans-Peter Müller.", "Hans-Peter Müller"),
        ("Mi chiamo Giulia Bianchi e lavoro a Roma.", "Giulia Bianchi"),
        ("Chamo-me João Silva.", "João Silva"),
        ("Mijn naam is Sanne de Vries en ik woon in Utrecht.", "Sanne de Vries"),
    ],
)
def test_names_in_seven_languages(detector: PiiDetector, text: str, name: str) -> None:
    assert (name, E.PERSON) in found(detector, text)


def test_postal_addresses_but_not_a_lone_city(detector: PiiDetector) -> None:
    text = "Send it to 12 rue de la Paix, 75002 Paris. Our office in London is closed."
    spans = found(detector, text)
    assert ("12 rue de la Paix, 75002 Paris", E.ADDRESS) in spans
    assert not any("London" in value for value, _ in spans)
    de = found(detector, "Bitte an Hauptstraße 5, 10115 Berlin liefern.")
    assert any(k == E.ADDRESS and "Hauptstraße 5" in v for v, k in de)


def test_plain_text_has_nothing(detector: PiiDetector) -> None:
    text = "The meeting moved to 14:30 on 12/05/2024 in room 204; order 58213 shipped."
    assert found(detector, text) == []


def test_huge_text_is_scanned_in_windows_with_bounded_memory() -> None:
    filler = "the quick brown fox jumps over the lazy dog and keeps running. " * 80_000
    text = filler + " write to last.line@example.org now"
    assert len(text) > 5_000_000
    detector = PiiDetector(ner_max_chars=2_000)  # the model reads only the first 2k chars
    tracemalloc.start()
    scan = detector.scan(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert ("last.line@example.org", E.EMAIL) in [
        (text[s.start : s.end], s.type) for s in scan.spans
    ]
    assert not scan.complete and scan.model_chars_skipped > 4_000_000
    assert peak < 40 * 1024 * 1024  # windows, not copies of the whole text


def test_a_scan_past_its_deadline_raises() -> None:
    with pytest.raises(GuardTimeout):
        PiiDetector(use_model=False).scan("x" * 1_000_000, deadline=time.monotonic() - 1)
