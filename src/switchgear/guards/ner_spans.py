"""How the model's word pieces become whole names and addresses: which gaps between two parts
still belong to one value (particles in names, "Suite 400" in addresses), how far a value
reaches past what the model labelled, and which labelled words are not names at all.

The model (see `ner.py`) labels pieces; these rules are about the languages it reads, so they
live apart from the inference code.
"""

from __future__ import annotations

import re

# Parts of one name: a hyphen, an apostrophe, an initial's dot, or particles ("de la",
# "van der", "da", "von", "d'", "al-", "bin").
_PARTICLE = (
    r"(?:de|da|das|do|dos|del|della|delle|dei|degli|di|du|des|van|von|vom|zu|der|den|ter|te"
    r"|le|la|lo|las|los|af|av|bin|ibn|ben|al|el|st\.?|mac|op|het|'t)"
)
PERSON_GAP = re.compile(rf"^(?:[\s\-'\u2019.]{{0,3}}|\s+(?:{_PARTICLE}\s+){{1,3}}|\s+d['\u2019])$")
# Particles and a capitalised word after a name the model stopped short of ("Olivier" in
# "signé par Olivier de la Gay hier").
_PARTICLE_TAIL = re.compile(
    rf"(?:\s+{_PARTICLE})+\s+[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž'\u2019\-]+|\s+d['\u2019][A-ZÀ-ÖØ-Þ]\w+"
)

# Secondary-unit designators: the part of an address the model often leaves out.
_UNIT = (
    r"(?:suite|ste\.?|unit|apt\.?|apartment|flat|floor|fl\.?|room|rm\.?|bldg\.?|building"
    r"|dept\.?|p\.?\s?o\.?\s?box|box|piso|planta|puerta|andar|sala|[ée]tage|appartement|app\.?"
    r"|b[âa]timent|bureau|wohnung|etage|whg\.?|interno|int\.|scala|appartamento|#)"
)
_UNIT_VALUE = r"(?:\s*#?\s*(?:[0-9][0-9A-Za-z\-]{0,5}|[A-Z](?!\w)))"
ADDRESS_GAP = re.compile(
    rf"^[\s,\-/]{{0,4}}(?:{_UNIT}\.?{_UNIT_VALUE}?[\s,\-/]{{0,4}}|(?-i:[A-Z]{{2}})[\s,]{{1,3}})?$",
    re.IGNORECASE,
)
_UNIT_BEFORE = re.compile(rf"(?:{_UNIT}\.?{_UNIT_VALUE})[\s,]{{1,3}}$", re.IGNORECASE)
_UNIT_WORD_BEFORE = re.compile(rf"(?<!\w){_UNIT}\.?\s*#?\s*$", re.IGNORECASE)
_HOUSE_NUMBER_BEFORE = re.compile(r"(?<![\w,.\-])\d{1,5}[A-Za-z]?,?\s+$")
_UNIT_AFTER = re.compile(rf"[\s,]{{1,3}}{_UNIT}\.?{_UNIT_VALUE}", re.IGNORECASE)
# A US state and ZIP ("…, Springfield, IL 62704") or a bare postcode after a street.
_STATE_ZIP_AFTER = re.compile(r",?\s+(?:[A-Z]{2}\s+)?\d{5}(?:-\d{4})?(?!\w)")
_STREET_TYPE = re.compile(
    r"(?:street|st\.|avenue|ave\.?|road|rd\.?|lane|ln\.?|drive|boulevard|blvd\.?|way|place"
    r"|square|terrace|crescent|court|close|gardens|parkway|highway)(?!\w)",
    re.IGNORECASE,
)
# Capitalised words before a span that starts with a street type ("Washington" in
# "Washington Street" when the model labelled only "Street").
_NAME_WORDS_BEFORE = re.compile(r"(?:[A-ZÀ-ÖØ-Þ][\w'\u2019\-]*\s+){1,2}$")

_CAPITALISED_START = re.compile(r"(?:^|[.!?]\s+)[\"'(\[]*[A-ZÀ-ÖØ-Þ]")
# Endings of common nouns that hardly any given name or surname in the model's languages has.
_NOUN_ENDING = re.compile(
    r"(?:[a-z]ying|[a-z]{3}ing|[a-z]{2}ness|ments|tion|sion|ism|ship|hood|ology|esis|ysis|itis"
    r"|ities|ungen|heit|keit|schaft|zione|zioni|mento|menti|ción|ciones|ção|ções)$"
)


def person_extends_to(chunk: str, end: int) -> int:
    """The end of a name, past particles and the capitalised word after them."""
    m = _PARTICLE_TAIL.match(chunk, end)
    return m.end() if m else end


def writer_capitalises(chunk: str) -> bool:
    """Whether this text capitalises its sentences: only then is a lower-case word told
    apart from a name by its case."""
    return _CAPITALISED_START.search(chunk) is not None


def not_a_name(chunk: str, start: int, end: int, capitalised_text: bool) -> bool:
    """A labelled word that is a plain word: all lower case where the writer capitalises
    ("a thesis on cyber bullying"), or one word with a common-noun ending where its case says
    nothing (first in a sentence, or in a text written all in lower case)."""
    value = chunk[start:end]
    if value.islower() and capitalised_text:
        return True
    if not value.isalpha() or _NOUN_ENDING.search(value.lower()) is None:
        return False
    before = chunk[:start].rstrip(" \t\"'(\u201c\u00ab")
    return value.islower() or not before or before[-1] in ".!?:;\n"


def address_extends(chunk: str, start: int, end: int) -> tuple[int, int]:
    """Widen an address over what the model tends to leave out around it: a unit or box
    before or after it, a state and ZIP code after it, the name before a street type."""
    before = _UNIT_BEFORE.search(chunk, max(0, start - 24), start)
    if before is not None and before.end() == start:
        start = before.start()
    if _STREET_TYPE.match(chunk, start):
        words = _NAME_WORDS_BEFORE.search(chunk, max(0, start - 48), start)
        if words is not None and words.end() == start:
            start = words.start()
    if chunk[start : start + 1].isdigit():  # "Box 1234, …": the model took only the number
        unit = _UNIT_WORD_BEFORE.search(chunk, max(0, start - 16), start)
        if unit is not None:
            start = unit.start()
    else:  # "1200 Main St": the model took only the street
        number = _HOUSE_NUMBER_BEFORE.search(chunk, max(0, start - 8), start)
        if number is not None:
            start = number.start()
    while True:
        after = _UNIT_AFTER.match(chunk, end) or _STATE_ZIP_AFTER.match(chunk, end)
        if after is None:
            return start, end
        end = after.end()
