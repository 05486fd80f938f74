"""Names in Arabic, Hebrew, Cyrillic, Greek, Devanagari, Chinese, Japanese and Korean script.

The name/address model reads Latin-script languages only, and no open multilingual NER model
ships inside a wheel (bench/RESULTS.md, issue 11), so a name in another script is found here
or not at all. These are rules, not a model; they find a name where the writing marks one:
- after a self-introduction or a label ("اسمي …", "Меня зовут …", "氏名: …", "이름은 …"),
- after a title or a role word ("السيد …", "ד״ר …", "श्री …", "господин …", "κυρία …"),
- before an honorific suffix ("山田太郎様", "王伟先生", "김민준 님", "राहुल जी"),
- as capitalised runs in scripts with capitals (Cyrillic, Greek): two or more capitalised
  words in a row, or one with a patronymic or after a title.
"""

# ruff: noqa: RUF001  (letters of other scripts are the point of this module)

from __future__ import annotations

import re
from collections.abc import Iterator

from switchgear.guards import entities as E
from switchgear.guards.entities import Span
from switchgear.guards.names_tables import (
    ARABIC_CUES,
    ARABIC_STOP,
    CHINESE_SURNAMES,
    CJK_CUES,
    CYRILLIC_CUES,
    CYRILLIC_NOT_NAMES,
    GREEK_CUES,
    GREEK_NOT_NAMES,
    HEBREW_CUES,
    HEBREW_STOP,
    HINDI_CUES,
    HINDI_STOP,
    JAPANESE_NOT_NAMES,
    KOREAN_CUES,
    KOREAN_PARTICLES,
    KOREAN_SURNAMES,
    TITLES,
)

_ARABIC_WORD = r"[\u0621-\u064a\u0671-\u06d3]{2,}"
_HEBREW_WORD = r"[\u05d0-\u05ea][\u05d0-\u05ea\u05f3'\"\u05f4\-]*"
_DEVANAGARI_WORD = r"[\u0900-\u0963\u0971-\u097f]+"  # without the danda and digits
_CYR_CAP = r"[А-ЯЁІЇЄҐ][а-яёіїєґ]+(?:-[А-ЯЁІЇЄҐ][а-яёіїєґ]+)?"
_GREEK_CAP = r"[Α-ΩΆΈΉΊΌΎΏ][α-ωάέήίόύώϊϋΐΰς]+(?:-[Α-ΩΆΈΉΊΌΎΏ][α-ωάέήίόύώϊϋΐΰς]+)?"
_HAN = r"[\u4e00-\u9fff\u3400-\u4dbf\u3005]"  # 々 repeats a kanji ("佐々木")
_KANA_NAME = r"[\u30a1-\u30fa\u30fc]+(?:[・\u30fb][\u30a1-\u30fa\u30fc]+)?"
_HANGUL = r"[\uac00-\ud7a3]"

_SUFFIX_JA = r"(?:様|さま|さん|氏|先生|くん|君|ちゃん|殿|教授|部長|課長|社長)"
_SUFFIX_ZH = r"(?:先生|女士|小姐|老师|老師|医生|醫生|经理|經理|教授|同学|律师|主任|总|博士)"
_SUFFIX_KO = (
    r"(?:님|씨|선생님|교수님|고객님|환자분|과장님?|부장님?|대리님?|팀장님?|사장님?|대표님?|원장님?)"
)


def _cue_then(cues: str, name: str, ignore_case: bool = False) -> re.Pattern[str]:
    # Only the cue ignores case: a name's capital is what tells it from the next word.
    cue = f"(?i:{cues})" if ignore_case else f"(?:{cues})"
    return re.compile(rf"{cue}\s*[:：\-—]?\s*(?P<name>{name})")


def _words(word: str, most: int) -> str:
    return rf"{word}(?:\s+{word}){{0,{most - 1}}}"


_ARABIC = _cue_then(ARABIC_CUES, _words(_ARABIC_WORD, 3))
_HEBREW = _cue_then(HEBREW_CUES, _words(_HEBREW_WORD, 3))
_HINDI = _cue_then(HINDI_CUES, _words(_DEVANAGARI_WORD, 3))
_HINDI_JI = re.compile(rf"(?P<name>{_words(_DEVANAGARI_WORD, 3)})\s+जी(?![\u0900-\u097f])")
_CYR_AFTER_CUE = _cue_then(CYRILLIC_CUES, _words(_CYR_CAP, 3), ignore_case=True)
_GREEK_AFTER_CUE = _cue_then(GREEK_CUES, _words(_GREEK_CAP, 3), ignore_case=True)
_CAPITALISED_RUN = re.compile(rf"(?<![\w\-])(?:{_words(_CYR_CAP, 3)}|{_words(_GREEK_CAP, 3)})")
_PATRONYMIC = re.compile(r"(?:ович|евич|ьич|овна|евна|ична|инична)$")
# Japanese and Chinese: the run of han/katakana right before an honorific is the name.
_JA_BEFORE_SUFFIX = re.compile(
    rf"(?P<name>{_HAN}{{1,4}}(?:[ \u3000]?{_HAN}{{1,4}})?|{_KANA_NAME})[ \u3000]?{_SUFFIX_JA}"
)
_ZH_BEFORE_SUFFIX = re.compile(rf"(?P<name>{_HAN}{{2,3}}){_SUFFIX_ZH}")
_CJK_AFTER_CUE = re.compile(
    rf"(?:{CJK_CUES})\s*(?P<name>{_HAN}{{2,4}}(?:[ \u3000]{_HAN}{{1,3}})?|{_KANA_NAME})"
)
_KO_BEFORE_SUFFIX = re.compile(
    rf"(?<!{_HANGUL})(?P<name>{_HANGUL}(?:\s?{_HANGUL}{{1,3}}))\s?{_SUFFIX_KO}(?!{_HANGUL}{{2}})"
)
_KO_AFTER_CUE = re.compile(rf"(?:{KOREAN_CUES})\s*(?P<name>{_HANGUL}{{2,6}})")
_WORD = re.compile(r"\S+")
_KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa]")
# Which scripts a text has, so it runs only the rules that can match in it.
_SCRIPTS = {
    "arabic": re.compile(r"[\u0621-\u064a]"),
    "hebrew": re.compile(r"[\u05d0-\u05ea]"),
    "devanagari": re.compile(r"[\u0900-\u097f]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "greek": re.compile(r"[\u0370-\u03ff]"),
    "han_kana": re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]"),
    "hangul": re.compile(r"[\uac00-\ud7a3]"),
}


def introduced_names(text: str) -> Iterator[Span]:
    """PERSON spans for names written in a non-Latin script."""
    if text.isascii():
        return
    has = {name: script.search(text) is not None for name, script in _SCRIPTS.items()}
    for name, pattern, stop in (
        ("arabic", _ARABIC, ARABIC_STOP),
        ("hebrew", _HEBREW, HEBREW_STOP),
        ("devanagari", _HINDI, HINDI_STOP),
    ):
        for m in pattern.finditer(text) if has[name] else ():
            yield from _leading_words(text, m, stop, TITLES)
    for m in _HINDI_JI.finditer(text) if has["devanagari"] else ():
        yield from _trailing_words(text, m, HINDI_STOP)
    if has["cyrillic"] or has["greek"]:
        yield from _capitalised_names(text)
    if has["han_kana"]:
        # Japanese is always written with some kana; Chinese text shares 先生 but not the rule.
        for m in _JA_BEFORE_SUFFIX.finditer(text) if _KANA.search(text) else ():
            if m.group("name") not in JAPANESE_NOT_NAMES and len(m.group("name")) >= 2:
                yield Span(*m.span("name"), E.PERSON, 0.8, "context")
        for m in _ZH_BEFORE_SUFFIX.finditer(text):
            if m.group("name")[0] in CHINESE_SURNAMES:
                yield Span(*m.span("name"), E.PERSON, 0.8, "context")
        for m in _CJK_AFTER_CUE.finditer(text):
            yield Span(*m.span("name"), E.PERSON, 0.8, "context")
    if not has["hangul"]:
        return
    for m in _KO_BEFORE_SUFFIX.finditer(text):
        # Surname and a two-syllable given name, the common shape: "고객님" is a customer.
        name = m.group("name").replace(" ", "")
        if name[0] in KOREAN_SURNAMES and 3 <= len(name) <= 4:
            yield Span(*m.span("name"), E.PERSON, 0.8, "context")
    for m in _KO_AFTER_CUE.finditer(text):
        start, end = m.span("name")
        end = start + len(_strip_korean_particle(text[start:end]))
        if end - start >= 2:
            yield Span(start, end, E.PERSON, 0.8, "context")


def _leading_words(
    text: str, m: re.Match[str], stop: frozenset[str], titles: frozenset[str]
) -> Iterator[Span]:
    """The name words after a cue, up to the first word that starts the rest of the sentence."""
    kept: list[re.Match[str]] = []
    for i, word in enumerate(_WORD.finditer(text, *m.span("name"))):
        value = word.group()
        if not kept and value in titles:
            continue  # "مع السيدة …": the title after a cue is not part of the name
        # An Arabic word after the first that starts with و ("and") starts the next clause.
        if value in stop or (i > 0 and value.startswith("و") and len(value) > 3):
            break
        kept.append(word)
    if kept:
        yield Span(kept[0].start(), kept[-1].end(), E.PERSON, 0.8, "context")


def _trailing_words(text: str, m: re.Match[str], stop: frozenset[str]) -> Iterator[Span]:
    """The name words before a suffix ("… शर्मा जी"), back to the first one that is not."""
    words = list(_WORD.finditer(text, *m.span("name")))
    kept: list[re.Match[str]] = []
    for word in reversed(words):
        if word.group() in stop:
            break
        kept.insert(0, word)
    if kept:
        yield Span(kept[0].start(), kept[-1].end(), E.PERSON, 0.75, "context")


def _capitalised_names(text: str) -> Iterator[Span]:
    """Cyrillic and Greek capitalise names and little else inside a sentence."""
    for pattern in (_CYR_AFTER_CUE, _GREEK_AFTER_CUE):
        for m in pattern.finditer(text):
            start, end = m.span("name")
            yield Span(start, end, E.PERSON, 0.8, "context")
    for m in _CAPITALISED_RUN.finditer(text):
        words = m.group().split()
        words_lower = [w.lower() for w in words]
        if words_lower[0] in CYRILLIC_NOT_NAMES or words_lower[0] in GREEK_NOT_NAMES:
            if len(words) < 3:
                continue
            start = m.start() + len(words[0]) + 1
            words = words[1:]
        else:
            start = m.start()
        # A lone capitalised word is as often a city or a company: only a patronymic makes it
        # a name by itself (titles and cue words are handled above).
        patronymic = any(_PATRONYMIC.search(w) for w in words)
        if (len(words) >= 2 and not _all_places(words)) or patronymic:
            yield Span(start, m.end(), E.PERSON, 0.8, "context")


_PLACE_ENDINGS = re.compile(r"(?:ия|ская|ский|ское|град|бург|ία|ική|ικό)$")


def _all_places(words: list[str]) -> bool:
    """A run that reads like a place or an institution ("Российская Федерация")."""
    return all(_PLACE_ENDINGS.search(w) for w in words)


def _strip_korean_particle(value: str) -> str:
    for particle in KOREAN_PARTICLES:
        if value.endswith(particle) and len(value) - len(particle) >= 2:
            return value[: -len(particle)]
    return value
