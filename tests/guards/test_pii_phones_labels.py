"""National phone formats without a country code, and identifier shapes next to their label."""

# ruff: noqa: RUF001  (other-script letters are what is tested)

from __future__ import annotations

import pytest

from switchgear.guards import entities as E
from switchgear.guards.pii import PiiDetector


def found(detector: PiiDetector, text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.type) for s in detector.scan(text).spans]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("O meu número é o 916661760.", "916661760"),  # a Portuguese mobile
        ("WhatsApp: 916 661 760", "916 661 760"),
        ("मेरा मोबाइल नंबर 98765 43210 है", "98765 43210"),  # Indian, after a Hindi cue
        ("телефон 8 (495) 123-45-67", "8 (495) 123-45-67"),  # with the Russian trunk prefix
        # A US number with its extension inside Arabic text ("for contact: … extension 12").
        ("للتواصل: +1 (212) 555-0147 تحويلة 12", "+1 (212) 555-0147 تحويلة 12"),
        ("κινητό: 6912345678", "6912345678"),
        ("手机：138 0013 8000", "138 0013 8000"),
        ("휴대폰 번호는 010 1234 5678입니다", "010 1234 5678"),
        ("komórka 512 345 678", "512 345 678"),
    ],
)
def test_national_numbers_after_a_cue_are_phones(
    detector: PiiDetector, text: str, value: str
) -> None:
    assert (value, E.PHONE) in found(detector, text)
    # The same digits without a cue are not taken for a phone (order numbers, amounts).
    bare = f"Order {value.split(' ')[0]} shipped."
    assert E.PHONE not in {kind for _, kind in found(detector, bare)}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("SSN 912-78-1234 on file", "912-78-1234"),  # an ITIN shape (9xx-7x)
        ("Social Security Number: 666-12-3456", "666-12-3456"),  # an area never issued
        ("ITIN 900 70 1234", "900 70 1234"),
        ("SSN:000-12-3456;TEL:555", "000-12-3456"),
    ],
)
def test_ssn_shapes_next_to_their_label_are_masked_and_only_there(
    detector: PiiDetector, text: str, value: str
) -> None:
    assert (value, E.US_SSN) in found(detector, text)
    # Without the label the SSA's issuing rules still decide.
    assert E.US_SSN not in {kind for _, kind in found(detector, f"ticket {value} closed")}


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("生年月日：1985年3月12日", "1985年3月12日", E.DATE_OF_BIRTH),
        ("생년월일: 1988년 7월 3일", "1988년 7월 3일", E.DATE_OF_BIRTH),
        ("Дата рождения: 12 марта 1985 г.", "12 марта 1985 г.", E.DATE_OF_BIRTH),
        ("γεννήθηκε στις 5 Μαΐου 1979", "5 Μαΐου 1979", E.DATE_OF_BIRTH),
        ("जन्म तिथि: 15/08/1990", "15/08/1990", E.DATE_OF_BIRTH),
        ("data urodzenia: 3 maja 1982", "3 maja 1982", E.DATE_OF_BIRTH),
        ("паспорт 45 12 345678", "45 12 345678", E.PASSPORT),
        ("여권번호 M12345678", "M12345678", E.PASSPORT),
        ("Numer paszportu: EA1234567", "EA1234567", E.PASSPORT),
    ],
)
def test_birth_dates_and_passports_are_found_by_their_label_in_every_script(
    detector: PiiDetector, text: str, value: str, kind: str
) -> None:
    assert (value, kind) in found(detector, text)
    # A date that is not introduced as a birth date stays (a meeting, an expiry).
    assert E.DATE_OF_BIRTH not in {k for _, k in found(detector, "会議は2025年3月12日です")}
