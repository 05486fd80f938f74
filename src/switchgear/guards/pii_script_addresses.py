"""Postal addresses in non-Latin scripts, by the shape each country writes them in.

The address model reads Latin script only. These rules take an address where its own markers
say it is one: a street word and a house number (Cyrillic, Greek, Arabic, Hebrew, Devanagari),
or the administrative levels written in order with a number at the end (Chinese, Japanese,
Korean). A street word alone ("на улице", "路上") is not enough.
"""

# ruff: noqa: RUF001  (letters of other scripts are the point of this module)

from __future__ import annotations

import re
from collections.abc import Iterator

from switchgear.guards import entities as E
from switchgear.guards.entities import Span

_HAN = r"\u4e00-\u9fff\u3005"
_KANA = r"\u3041-\u3096\u30a1-\u30fa\u30fc"
_NUM = r"[0-9０-９]"

_PATTERNS = (
    # Japanese: 〒 and postcode, prefecture, city/ward, then chōme-ban-gō numbers and a room.
    re.compile(
        rf"(?:〒\s?\d{{3}}-?\d{{4}}\s*)?[{_HAN}]{{2,3}}[都道府県][{_HAN}{_KANA}]{{1,12}}?[市区町村郡]"
        rf"[{_HAN}{_KANA}0-9\-－ー\s]{{0,24}}?\d+(?:\s?(?:丁目|番地?|号|[-－ー])\s?\d*)+"
        rf"(?:[{_HAN}{_KANA}A-Za-z\s]{{0,16}}?\d+号室)?"
    ),
    # Chinese: province/city, district, street or road, number 号, then building and room.
    re.compile(
        rf"(?:[{_HAN}]{{2,8}}[省市])?[{_HAN}]{{1,8}}[市区县縣區镇鎮][{_HAN}0-9]{{0,16}}?"
        rf"[路街道巷弄]\s*\d+\s*号(?:[{_HAN}0-9A-Za-z\-]{{0,16}}?\d+[室号])?"
    ),
    # Korean: city or province, district(s), road name and building number, then dong/ho.
    re.compile(
        r"(?:[\uac00-\ud7a3]{1,8}(?:특별시|광역시|특별자치시|특별자치도|시|도)"
        r"|서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|전북|전남|경북|경남|제주)\s+"
        r"(?:[\uac00-\ud7a3]+(?:구|군|시|읍|면)\s+){1,2}[\uac00-\ud7a3\d]+(?:로|길|대로)\s*\d+(?:-\d+)?"
        r"(?:\s*,?\s*(?:\d+동\s*)?\d+호)?"
    ),
    # Russian/Ukrainian: optional index and city, street word and name, house, flat.
    re.compile(
        r"(?:\d{6},?\s*)?(?:(?:г\.|город)\s*[А-ЯЁ][а-яё\-]+,?\s*)?"
        r"(?i:ул\.|улица|вул\.|вулиця|пр-т|просп\.|проспект|пер\.|переулок|шоссе|ш\.|бульвар|б-р"
        r"|наб\.|набережная|пл\.|площадь)\s*[А-ЯЁІЇЄа-яёіїє0-9\-\s.]{2,30}?,?\s*"
        r"(?i:д\.|дом|буд\.)\s*\d+[а-яА-Я]?(?:\s*(?:,\s*)?(?:корп\.|к\.|стр\.)\s*\d+)?"
        r"(?:\s*,?\s*(?i:кв\.|квартира|оф\.|офис)\s*\d+)?"
        r"(?:,\s*(?:г\.\s*)?[А-ЯЁ][а-яё\-]+)?(?:,?\s*\d{6})?"
    ),
    # Greek: street (optionally "οδός"/"Λεωφ."), number, postcode of 5 digits, city.
    re.compile(
        r"(?:(?i:οδός|οδ\.|λεωφόρος|λεωφ\.|πλατεία)\s+)?[Α-ΩΆ-Ώ][α-ωά-ώϊϋΐΰς]+(?:\s+[Α-ΩΆ-Ώ][α-ωά-ώϊϋΐΰς]+)?"
        r"\s+\d{1,4}[Α-Ωα-ω]?,\s*(?:Τ\.?Κ\.?\s*)?\d{3}\s?\d{2}(?:,?\s*[Α-ΩΆ-Ώ][α-ωά-ώϊϋΐΰς]+)?"
    ),
    # Arabic: شارع (street) and up to four words, a building number, and a city after a comma.
    re.compile(
        r"(?:(?:مبنى|بناية|عمارة|فيلا|شقة)\s+(?:رقم\s+)?\d+[،,]?\s*)?"
        r"(?:شارع|طريق|حي|جادة)\s+[\u0621-\u064a]+(?:\s+[\u0621-\u064a]+){0,3}?"
        r"(?:[،,]?\s*(?:رقم\s+|مبنى\s+|بناية\s+)?\d+)"
        r"(?:[،,]?\s*(?:شقة|مكتب)\s+\d+)?(?:[،,]\s*[\u0621-\u064a]+(?:\s+[\u0621-\u064a]+)?)?"
        r"(?:[،,]?\s*\d{5})?"
    ),
    # Hebrew: רחוב/שדרות and the name, the number, an apartment, a city after a comma.
    re.compile(
        r"(?:רחוב|רח['׳]|שדרות|שד['׳]|דרך)\s+[\u05d0-\u05ea\"'׳״\-]+(?:\s+[\u05d0-\u05ea\"'׳״\-]+){0,2}?"
        r"\s+\d+[\u05d0-\u05ea]?(?:\s*,?\s*(?:דירה|קומה)\s+\d+)*"
        r"(?:,\s*[\u05d0-\u05ea\-]+(?:[\s\-][\u05d0-\u05ea]+)?)?(?:,?\s*\d{5,7})?"
    ),
    # Hindi: a house or flat number, words up to a street/area word, a city and a 6-digit PIN.
    re.compile(
        r"(?:(?:मकान|फ्लैट|प्लॉट)\s+(?:नं\.?|नंबर|संख्या)?\s*)?[\d/\-]+[,\s]\s*"
        r"(?:[\u0900-\u0963\u0971-\u097f\d/\-]+[,\s]+){0,8}?[\u0900-\u0963\u0971-\u097f]+\s*[-–,]?\s*"
        r"\d{6}(?!\d)"
    ),
)
# Words that end the sentence around a Chinese address ("请寄到…", "地址是…"), not part of it.
_ZH_LEAD = re.compile(
    rf"^[{_HAN}]{{0,4}}?(?:寄到|送到|发到|到|在|于|至|往|是|为|：|:)(?=[{_HAN}]{{3}})"
)
_STREET_WORDS_HI = re.compile(r"मार्ग|नगर|रोड|सेक्टर|गली|कॉलोनी|मोहल्ला|विहार|चौक|बाज़ार|बाजार")


# The script each pattern above is written in, so a text runs only the patterns it can match.
_SCRIPTS = tuple(
    re.compile(script)
    for script in (
        r"[都道府県]", r"[省市区县縣區镇鎮]", r"[\uac00-\ud7a3]", r"[\u0400-\u04ff]",
        r"[\u0370-\u03ff]", r"[\u0621-\u064a]", r"[\u05d0-\u05ea]", r"[\u0900-\u097f]",
    )
)  # fmt: skip


def script_addresses(text: str) -> Iterator[Span]:
    """ADDRESS spans for addresses written in a non-Latin script."""
    if text.isascii():
        return
    for i, pattern in enumerate(_PATTERNS):
        if _SCRIPTS[i].search(text) is None:
            continue
        for m in pattern.finditer(text):
            value = m.group().rstrip(" ,،")
            if i == len(_PATTERNS) - 1 and not _STREET_WORDS_HI.search(value):
                continue  # a number run ending in six digits is no address without a street
            start = m.start() + len(value) - len(value.lstrip())
            if i == 1 and (lead := _ZH_LEAD.match(value)) is not None:
                start = m.start() + lead.end()
            yield Span(start, m.start() + len(value), E.ADDRESS, 0.75, "context")
