"""Recognisers anchored on a keyword in any of the supported languages: the value must follow
the keyword closely (passport numbers, dates of birth, medical record numbers, BSN, and bare
numbers that are only identifiers when introduced as such)."""

# ruff: noqa: RUF001  (keywords in Greek and Cyrillic share letters with Latin)

from __future__ import annotations

import re
from collections.abc import Iterator

from switchgear.guards import checksums
from switchgear.guards import entities as E
from switchgear.guards.entities import Span

_AFTER = 48  # characters after the keyword where the value may start


def _keywords(*words: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.IGNORECASE)


_PASSPORT_KEY = _keywords(
    r"passports?", r"pasaportes?", r"passeports?", r"reisepass(?:es)?", r"pass(?:nummer|nr\.?)",
    r"passaport[oi]", r"passaportes?", r"paspoort(?:nummer)?", r"جواز(?:\s+السفر)?",
    r"paszport\w*", r"паспорт\w*", r"διαβατ[ήη]ρι\w*", r"דרכון", r"पासपोर्ट", r"pasaport\w*",
)  # fmt: skip
# Chinese, Japanese and Korean keywords: written without spaces, so without word boundaries.
_PASSPORT_KEY_UNSPACED = re.compile(r"护照|護照|旅券|パスポート|여권")
_PASSPORT_VALUE = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Z0-9]*\d[A-Z0-9]*)[A-Z0-9]{6,10}(?![A-Za-z0-9])"
    r"|(?<!\d)\d{2} ?\d{2} (?:№ ?)?\d{6}(?!\d)"  # a Russian passport's series and number
)

_MONTHS = (
    r"jan(?:uary|uar|vier|eiro|uari)?|feb(?:ruary|ruar|braio|ruari)?|febr?\.?|fev(?:ereiro)?|"
    r"f[ée]vr(?:ier)?\.?|mar(?:ch|s|zo|ço|et|t)?|märz|maart|apr(?:il|ile|ilie)?|avr(?:il)?|"
    r"abr(?:il)?|ma(?:y|i|ggio|yo|io|aart)|mei|jun[eio]?|juin|giugno|junho|juni|jul[yio]?|"
    r"juillet|luglio|julho|juli|aug(?:ust|ustus)?|ago(?:sto)?|ao[uû]t|sep(?:tember|tiembre)?|"
    r"set(?:embro|tembre)?|sept(?:embre)?|oct(?:ober|ubre|obre)?|okt(?:ober)?|out(?:ubro)?|"
    r"ott(?:obre)?|nov(?:ember|iembre|embre|embro)?|dec(?:ember|embre)?|dez(?:ember|embro)?|"
    r"dic(?:iembre|embre)?|d[ée]c(?:embre)?"
)
_DATE = re.compile(
    r"(?<!\d)(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./\-]\d{1,2}[./\-](?:\d{4}|\d{2})"
    r"|\d{1,2}(?:st|nd|rd|th|er|º|\.)?\s+(?:de\s+)?(?:" + _MONTHS + r")\.?,?\s+(?:de\s+)?\d{4}"
    r"|(?:" + _MONTHS + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})(?!\d)",
    re.IGNORECASE,
)
# Month names (genitive, as dates use them) in Polish, Russian, Greek, Hebrew, Hindi, Arabic.
_OTHER_MONTHS = (
    r"stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|wrze[śs]nia|pa[źz]dziernika"
    r"|listopada|grudnia|января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября"
    r"|ноября|декабря|Ιανουαρ[ίι]ου|Φεβρουαρ[ίι]ου|Μαρτ[ίι]ου|Απριλ[ίι]ου|Μα[ΐι]ου"
    r"|Ιουν[ίι]ου|Ιουλ[ίι]ου|Αυγο[ύυ]στου|Σεπτεμβρ[ίι]ου|Οκτωβρ[ίι]ου|Νοεμβρ[ίι]ου"
    r"|Δεκεμβρ[ίι]ου|ב?ינואר|ב?פברואר|ב?מרץ|ב?מרס|ב?אפריל|ב?מאי|ב?יוני|ב?יולי|ב?אוגוסט"
    r"|ב?ספטמבר|ב?אוקטובר|ב?נובמבר|ב?דצמבר|जनवरी|फ़?फरवरी|फ़रवरी|मार्च|अप्रैल|मई|जून|जुलाई"
    r"|अगस्त|सितंबर|सितम्बर|अक्टूबर|अक्तूबर|नवंबर|नवम्बर|दिसंबर|दिसम्बर|يناير|فبراير|مارس"
    r"|أبريل|ابريل|مايو|يونيو|يوليو|أغسطس|اغسطس|سبتمبر|أكتوبر|اكتوبر|نوفمبر|ديسمبر"
)
_OTHER_DATE = re.compile(
    r"(?<!\d)(?:\d{4}\s?[年년]\s?\d{1,2}\s?[月월]\s?\d{1,2}\s?[日일]?"  # 1985年3月12日
    r"|\d{4}[./]\s?\d{1,2}[./]\s?\d{1,2}\.?"  # 1985.03.12 (Korean, Chinese)
    r"|\d{1,2}\.?\s+(?:" + _OTHER_MONTHS + r")\s+\d{4}(?:\s?(?:г\.|года|r\.|roku))?)(?!\d)",
    re.IGNORECASE,
)
_BIRTH_KEY_UNSPACED = re.compile(
    r"生年月日|出生日期|出生年月日|出生于|出生於|生日|誕生日|생년월일|생일|출생일?"
)
_BIRTH_KEY = _keywords(
    r"дата\s+рождения", r"родил(?:ся|ась)", r"д\.\s?р\.", r"ημερομηνία\s+γέννησης",
    r"γεννήθηκε", r"γέννησης", r"תאריך\s+(?:ה)?לידה", r"נולד(?:ה)?", r"ת\.\s?לידה",
    r"जन्म\s*(?:तिथि|तारीख|दिनांक)", r"जन्मतिथि", r"जन्म", r"data\s+urodzenia",
    r"urodzon[ya]", r"ur\.",
    r"born", r"birth", r"birthday", r"dob", r"d\.o\.b\.?", r"date\s+of\s+birth", r"nacid[oa]s?",
    r"nacimiento", r"naci[óo]", r"nasceu", r"nacque", r"n[ée]e?", r"naissance", r"geboren",
    r"geburtsdatum", r"geburtstag",
    r"geb\.", r"nat[oa]", r"nascita", r"nascid[oa]", r"nascimento", r"geboortedatum",
    r"geboren\s+op", r"تاريخ\s+الميلاد", r"مواليد", r"ولد(?:ت)?",
)  # fmt: skip

_MEDICAL_KEY = _keywords(
    r"mrn", r"medical\s+record(?:\s+(?:number|no\.?|#))?", r"patient\s+(?:id|number|no\.?)",
    r"nhs\s+(?:number|no\.?)", r"chart\s+(?:number|no\.?)", r"historia\s+cl[íi]nica",
    r"n[º°]\s*(?:de\s+)?historia", r"dossier\s+m[ée]dical", r"num[ée]ro\s+de\s+dossier",
    r"patientennummer", r"patienten-?id", r"krankenakte", r"fallnummer", r"cartella\s+clinica",
    r"processo\s+cl[íi]nico", r"prontu[áa]rio", r"pati[ëe]ntnummer", r"dossiernummer",
    r"رقم\s+الملف\s+الطبي",
)  # fmt: skip
_MEDICAL_VALUE = re.compile(r"(?<![\w\-])(?=[A-Z\-]*\d)[A-Z]{0,4}[\- ]?\d[\d\- ]{3,14}\d(?![\w\-])")

_BSN_KEY = _keywords(r"bsn", r"burgerservicenummer", r"sofi-?nummer", r"sofinummer")
_BSN_VALUE = re.compile(r"(?<![\d.])\d{4}\.?\d{2}\.?\d{3}(?![\d])|(?<![\d.])\d{3}\.\d{3}\.\d{3}")

_TAX_KEY = _keywords(
    r"steuer-?id", r"steuer-?identifikationsnummer", r"steueridentifikationsnummer",
    r"identifikationsnummer", r"idnr\.?", r"tax\s+id", r"\btin",
)  # fmt: skip
_STEUER_VALUE = re.compile(r"(?<![\d\-/])\d{2} ?\d{3} ?\d{3} ?\d{3}(?![\d\-/])")

_SSN_KEY = _keywords(
    r"ssn", r"social\s+security(?:\s+(?:number|no\.?|#))?", r"itin",
    r"(?:individual\s+)?taxpayer\s+identification(?:\s+(?:number|no\.?))?",
    r"n[úu]mero\s+de\s+seguro\s+social", r"seguro\s+social",
)  # fmt: skip
# Next to its label any SSN-shaped value is masked, even one the SSA would never issue (area
# 000, 666 or 9xx: ITINs are 9xx-7x-xxxx): a leak guard errs on the side of the label.
_SSN_VALUE = re.compile(r"(?<![\d\-])\d{3}([\- .]?)\d{2}\1\d{4}(?![\d\-])")

_PHONE_KEY = _keywords(
    r"phone", r"tel\.?", r"telephone", r"mobile", r"cell", r"call", r"tel[ée]fono", r"m[óo]vil",
    r"t[ée]l[ée]phone", r"portable", r"telefon", r"handy", r"telefono", r"cellulare",
    r"telem[óo]vel", r"telefone", r"celular", r"telefoon(?:nummer)?", r"mobiel", r"bel",
    r"call(?:s|ed)?", r"ligue", r"liga", r"ligar", r"chiam(?:a|ate|are)", r"llam(?:e|a|ar)",
    r"appel(?:ez|le|er)", r"ruf(?:en|t)?", r"anrufen", r"bellen", r"telefonare",
    r"هاتف", r"الهاتف", r"جوال",
)  # fmt: skip
_PHONE_VALUE = re.compile(r"(?<![\w+])\+?\d[\d \-.()]{7,16}\d(?![\w])")
_DIGIT = re.compile(r"\d")


def _values_after(
    text: str, key: re.Pattern[str], value: re.Pattern[str], first_only: bool = True
) -> Iterator[re.Match[str]]:
    for k in key.finditer(text):
        window_end = min(len(text), k.end() + _AFTER)
        for v in value.finditer(text, k.end(), window_end):
            yield v
            if first_only:
                break


def passports(text: str) -> Iterator[Span]:
    for key in (_PASSPORT_KEY, _PASSPORT_KEY_UNSPACED):
        for v in _values_after(text, key, _PASSPORT_VALUE):
            yield Span(v.start(), v.end(), E.PASSPORT, 0.85, "context")


def dates_of_birth(text: str) -> Iterator[Span]:
    for key in (_BIRTH_KEY, _BIRTH_KEY_UNSPACED):
        for date in (_DATE, _OTHER_DATE):
            for v in _values_after(text, key, date):
                yield Span(v.start(), v.end(), E.DATE_OF_BIRTH, 0.85, "context")


def medical_records(text: str) -> Iterator[Span]:
    for v in _values_after(text, _MEDICAL_KEY, _MEDICAL_VALUE):
        value = v.group().rstrip(" -")
        yield Span(v.start(), v.start() + len(value), E.MEDICAL_RECORD, 0.85, "context")


def introduced_ids(text: str) -> Iterator[Span]:
    """Numbers that pass a weak checksum and are introduced by their name."""
    for v in _values_after(text, _BSN_KEY, _BSN_VALUE):
        if checksums.nl_bsn(v.group().replace(".", "")):
            yield Span(v.start(), v.end(), E.NL_BSN, 0.95, "checksum")
    for v in _values_after(text, _TAX_KEY, _STEUER_VALUE):
        if checksums.de_steuer_id(v.group().replace(" ", "")):
            yield Span(v.start(), v.end(), E.DE_STEUER_ID, 0.95, "checksum")
    for v in _values_after(text, _SSN_KEY, _SSN_VALUE):
        yield Span(v.start(), v.end(), E.US_SSN, 0.9, "context")
    for v in _values_after(text, _PHONE_KEY, _PHONE_VALUE, first_only=False):
        value = v.group().rstrip(" -.(")
        if 8 <= len(_DIGIT.findall(value)) <= 15:
            yield Span(v.start(), v.start() + len(value), E.PHONE, 0.7, "context")


# A post-office box is a postal address by itself ("PO Box 12", "Postfach 1234").
_PO_BOX = re.compile(
    r"(?<!\w)(?:P\.?\s?O\.?\s?Box|Post\s+Office\s+Box|Postfach|Postbus|Apartado(?:\s+de\s+Correos)?"
    r"|Caixa\s+Postal|Bo[iî]te\s+postale|Casella\s+postale|صندوق\s+(?:ال)?بريد|ص\.\s?ب\.?)"
    r"\s*(?:No\.?\s*|#\s*)?\d{1,7}(?!\d)",
    re.IGNORECASE,
)


def po_boxes(text: str) -> Iterator[Span]:
    for m in _PO_BOX.finditer(text):
        yield Span(m.start(), m.end(), E.ADDRESS, 0.8, "context")


CONTEXTUAL = (passports, dates_of_birth, medical_records, introduced_ids)


# Names introduced by a cue the model sometimes misses ("Llame a Dominga Rojas", "Mr. Smith").
_NAME_CUE = _keywords(
    r"my name is", r"i'm called", r"me llamo", r"mi nombre es", r"je m'appelle",
    "je m\u2019appelle", r"mon nom est", r"ich heiße", r"mein name ist", r"mi chiamo",
    r"il mio nome è", r"chamo-me", r"o meu nome é", r"meu nome é", r"mijn naam is", r"ik heet",
    r"call", r"contact", r"llame a", r"llama a", r"contacte con", r"appelez", r"contactez",
    r"rufen sie", r"kontaktieren sie", r"chiamate", r"chiama", r"contattate", r"ligue para",
    r"contacte", r"bel", r"neem contact op met", r"intestat[oa] a", r"a nome di",
    r"mr\.?", r"mrs\.?", r"ms\.?", r"miss", r"dr\.?", r"sr\.?", r"sra\.?", r"srta\.?", r"mme",
    r"mlle", r"m\.", r"herr", r"frau", r"sig\.?", r"sig\.ra", r"dott\.?", r"dhr\.?",
    r"mevr\.?", r"dona", r"senhor(?:a)?", r"señor(?:a)?", r"monsieur", r"madame",
    r"nazywam\s+si[ęe]", r"mam\s+na\s+imi[ęe]", r"pan(?:i|a|em|u|ią)?", r"mgr", r"in[żz]\.?",
)  # fmt: skip
_UPPER = r"[A-ZÀ-ÖØ-ÞĀ-Ž]"
_NAME_WORD = _UPPER + "[a-zß-öø-ÿā-ž'\u2019\\-]+"
_PARTICLE = r"(?:de|da|das|do|dos|del|della|di|van|von|der|den|ter|le|la|y|e)"
_NOT_A_NAME = (
    r"(?!(?:The|A|An|Our|Your|My|This|That|El|La|Los|Las|Le|Les|Un|Une|Der|Die|Das|Ein|Eine|"
    r"Il|Lo|Gli|O|Os|As|Um|Uma|De|Het|Een|Us|Me|Him|Her|Them)\b)"
)
_NAME_AFTER_CUE = re.compile(
    rf"\s*{_NOT_A_NAME}(?:{_NAME_WORD})(?:\s+(?:{_PARTICLE}\s+){{0,2}}{_NAME_WORD}){{1,3}}"
)


_NAME_CUE_LOWER = re.compile(_NAME_CUE.pattern)  # on lower-cased text: ~8x faster


def cued_names(text: str) -> Iterator[Span]:
    lowered = text.lower()
    cues = (
        _NAME_CUE_LOWER.finditer(lowered) if len(lowered) == len(text) else _NAME_CUE.finditer(text)
    )
    for cue in cues:
        m = _NAME_AFTER_CUE.match(text, cue.end())
        if m is not None:
            start = m.start() + len(m.group()) - len(m.group().lstrip())
            yield Span(start, m.end(), E.PERSON, 0.75, "context")
