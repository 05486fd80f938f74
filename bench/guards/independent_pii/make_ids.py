"""Generators and checkers for checksum-valid identifiers used in the hand-written PII set.

The sentences are written by hand; only the digits of checksummed identifiers come from here,
so that every card, IBAN and national number in the set is structurally valid.
"""

from __future__ import annotations

import random
import string
import unicodedata

ZWSP = "\u200b"


# ---------------------------------------------------------------- checksums


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_complete(prefix: str) -> str:
    for d in "0123456789":
        if luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError("unreachable")


def iban_ok(iban: str) -> bool:
    s = iban[4:] + iban[:4]
    num = "".join(str(int(c, 36)) for c in s)
    return int(num) % 97 == 1


def iban_from_bban(country: str, bban: str) -> str:
    s = bban + country + "00"
    num = "".join(str(int(c, 36)) for c in s)
    check = 98 - int(num) % 97
    return f"{country}{check:02d}{bban}"


def steuer_id_check(first10: str) -> int:
    product = 10
    for ch in first10:
        s = (int(ch) + product) % 10
        if s == 0:
            s = 10
        product = (s * 2) % 11
    check = 11 - product
    return 0 if check == 10 else check


def steuer_id_ok(value: str) -> bool:
    if len(value) != 11 or not value.isdigit() or value[0] == "0":
        return False
    counts = sorted((value[:10].count(d) for d in set(value[:10])), reverse=True)
    if counts[0] not in (2, 3) or counts[1] != 1:
        return False
    return steuer_id_check(value[:10]) == int(value[10])


def nir_ok(value: str) -> bool:
    if len(value) != 15 or not value.isdigit():
        return False
    return 97 - int(value[:13]) % 97 == int(value[13:])


DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni_ok(value: str) -> bool:
    v = value.replace("-", "").upper()
    if v[0] in "XYZ":
        v = str("XYZ".index(v[0])) + v[1:]
    if len(v) != 9 or not v[:8].isdigit():
        return False
    return DNI_LETTERS[int(v[:8]) % 23] == v[8]


# Odd-position values of the codice fiscale check character (digits, then A-Z).
_CF_ODD_VALUES = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21]
_CF_ODD_LETTERS = [
    1,
    0,
    5,
    7,
    9,
    13,
    15,
    17,
    19,
    21,
    2,
    4,
    18,
    20,
    11,
    3,
    6,
    8,
    12,
    14,
    16,
    10,
    22,
    25,
    24,
    23,
]
_CF_ODD = dict(
    zip(string.digits + string.ascii_uppercase, _CF_ODD_VALUES + _CF_ODD_LETTERS, strict=True)
)


def _cf_even(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A")


def codice_fiscale_check(first15: str) -> str:
    total = 0
    for i, ch in enumerate(first15):
        total += _CF_ODD[ch] if i % 2 == 0 else _cf_even(ch)
    return chr(ord("A") + total % 26)


def codice_fiscale_ok(value: str) -> bool:
    v = value.upper()
    return len(v) == 16 and codice_fiscale_check(v[:15]) == v[15]


def bsn_ok(value: str) -> bool:
    if len(value) != 9 or not value.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:8], range(9, 1, -1), strict=True)) - int(value[8])
    return total % 11 == 0 and value != "000000000"


def normalize(value: str) -> str:
    """Fold full-width forms, drop separators and zero-width characters."""
    v = unicodedata.normalize("NFKC", value).replace(ZWSP, "")
    return "".join(ch for ch in v if ch.isalnum()).upper()


def checksum_ok(kind: str, value: str) -> bool | None:
    """True/False for checksummed types, None where no checksum exists."""
    v = normalize(value)
    if kind == "CREDIT_CARD":
        return v.isdigit() and 13 <= len(v) <= 19 and luhn_ok(v)
    if kind == "IBAN":
        return iban_ok(v)
    if kind == "DE_STEUER_ID":
        return steuer_id_ok(v)
    if kind == "FR_NIR":
        return nir_ok(v)
    if kind == "ES_DNI":
        return dni_ok(v)
    if kind == "IT_CODICE_FISCALE":
        return codice_fiscale_ok(v)
    if kind == "NL_BSN":
        return bsn_ok(v)
    return None


# ---------------------------------------------------------------- generators

CARD_PREFIXES = {
    "visa": ("4", 16),
    "mc": ("5", 16),
    "mc2": ("2221", 16),
    "amex": ("37", 15),
    "discover": ("6011", 16),
    "jcb": ("35", 16),
    "unionpay": ("62", 16),
    "mir": ("220", 16),
    "rupay": ("60", 16),
}

IBAN_BBAN = {  # country: list of (alphabet, length) pieces
    "DE": [("d", 18)],
    "FR": [("d", 10), ("A", 11), ("d", 2)],
    "ES": [("d", 20)],
    "IT": [("U", 1), ("d", 10), ("A", 12)],
    "NL": [("U", 4), ("d", 10)],
    "GB": [("U", 4), ("d", 14)],
    "PL": [("d", 24)],
    "PT": [("d", 21)],
    "GR": [("d", 23)],
    "SA": [("d", 2), ("A", 18)],
    "AE": [("d", 19)],
    "IL": [("d", 19)],
    "BE": [("d", 12)],
    "AT": [("d", 16)],
    "CH": [("d", 5), ("A", 12)],
}


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    chars = {"d": string.digits, "U": string.ascii_uppercase, "A": string.digits}[alphabet]
    return "".join(rng.choice(chars) for _ in range(n))


def _group(s: str, sizes: list[int], sep: str) -> str:
    out, i = [], 0
    for size in sizes:
        out.append(s[i : i + size])
        i += size
    if i < len(s):
        out.append(s[i:])
    return sep.join(p for p in out if p)


def fullwidth(s: str) -> str:
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s
    )


def card(rng: random.Random, kind: str) -> str:
    prefix, length = CARD_PREFIXES[kind]
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return luhn_complete(body)


def iban(rng: random.Random, country: str) -> str:
    bban = "".join(_pick(rng, a, n) for a, n in IBAN_BBAN[country])
    return iban_from_bban(country, bban)


def steuer_id(rng: random.Random) -> str:
    while True:
        digits = rng.sample("0123456789", 9)
        if digits[0] == "0":
            continue
        dup = rng.choice(digits)
        body = [*digits, dup]
        first, rest = body[0], body[1:]
        rng.shuffle(rest)
        first10 = first + "".join(rest)
        value = first10 + str(steuer_id_check(first10))
        if steuer_id_ok(value):
            return value


def nir(rng: random.Random) -> str:
    sex = rng.choice("12")
    yy = f"{rng.randint(40, 99):02d}"
    mm = f"{rng.randint(1, 12):02d}"
    dept = f"{rng.choice([1, 13, 31, 33, 44, 59, 67, 69, 75, 92, 93, 94]):02d}"
    commune = f"{rng.randint(1, 400):03d}"
    order = f"{rng.randint(1, 999):03d}"
    body = sex + yy + mm + dept + commune + order
    return body + f"{97 - int(body) % 97:02d}"


def dni(rng: random.Random, nie: bool = False) -> str:
    if nie:
        first = rng.randint(0, 2)
        num = f"{first}{rng.randint(0, 9999999):07d}"
        return "XYZ"[first] + num[1:] + DNI_LETTERS[int(num) % 23]
    num = f"{rng.randint(10000000, 79999999):08d}"
    return num + DNI_LETTERS[int(num) % 23]


CF_MONTHS = "ABCDEHLMPRST"
CF_TOWNS = ["H501", "F205", "L219", "F839", "G273", "D612", "A944", "L736", "C351", "B157"]


def codice_fiscale(rng: random.Random) -> str:
    consonants = "BCDFGLMNPRSTVZ"
    head = "".join(rng.choice(consonants) for _ in range(6))
    yy = f"{rng.randint(45, 99):02d}"
    month = rng.choice(CF_MONTHS)
    day = rng.randint(1, 28) + rng.choice([0, 40])
    first15 = f"{head}{yy}{month}{day:02d}{rng.choice(CF_TOWNS)}"
    return first15 + codice_fiscale_check(first15)


def bsn(rng: random.Random) -> str:
    while True:
        body = f"{rng.randint(10000000, 99999999):08d}"
        s = sum(int(d) * w for d, w in zip(body, range(9, 1, -1), strict=True))
        last = s % 11
        if last < 10:
            return body + str(last)


def us_ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"


def uk_nino(rng: random.Random) -> str:
    first_ok = "ABCEGHJKLMNOPRSTWXYZ"
    second_ok = "ABCEGHJKLMNPRSTWXYZ"
    while True:
        prefix = rng.choice(first_ok) + rng.choice(second_ok)
        if prefix not in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}:
            break
    return prefix + f"{rng.randint(0, 999999):06d}" + rng.choice("ABCD")


def generate(kind: str, spec: str, rng: random.Random) -> str:
    """Make a value for marker `[[KIND:@spec]]`; spec is `variant[/style]`."""
    variant, _, style = spec.partition("/")
    if kind == "CREDIT_CARD":
        raw = card(rng, variant or "visa")
        sizes = [4, 6, 5] if len(raw) == 15 else [4, 4, 4, 4]
        value = {"n": raw, "d": _group(raw, sizes, "-")}.get(style, _group(raw, sizes, " "))
    elif kind == "IBAN":
        raw = iban(rng, variant or "DE")
        value = raw if style == "n" else _group(raw, [4] * 9, " ")
    elif kind == "DE_STEUER_ID":
        raw = steuer_id(rng)
        value = _group(raw, [2, 3, 3, 3], " ") if style == "s" else raw
    elif kind == "FR_NIR":
        raw = nir(rng)
        value = raw if style == "n" else _group(raw, [1, 2, 2, 2, 3, 3, 2], " ")
    elif kind == "ES_DNI":
        raw = dni(rng, nie=variant == "nie")
        value = f"{raw[:-1]}-{raw[-1]}" if style == "d" else raw
    elif kind == "IT_CODICE_FISCALE":
        raw = codice_fiscale(rng)
        value = raw.lower() if style == "l" else raw
    elif kind == "NL_BSN":
        raw = bsn(rng)
        value = _group(raw, [4, 2, 3], ".") if style == "d" else raw
    elif kind == "US_SSN":
        raw = us_ssn(rng)
        value = {"n": raw, "s": _group(raw, [3, 2, 4], " ")}.get(style, _group(raw, [3, 2, 4], "-"))
    elif kind == "UK_NINO":
        raw = uk_nino(rng)
        value = raw if style == "n" else _group(raw, [2, 2, 2, 2, 1], " ")
    else:
        raise ValueError(f"no generator for {kind}")
    if style == "fw":
        value = fullwidth(value)
    elif style == "zw":
        mid = len(value) // 2
        value = value[:mid] + ZWSP + value[mid:]
    return value


if __name__ == "__main__":
    rng = random.Random("demo")
    for k, s in [
        ("CREDIT_CARD", "visa"),
        ("IBAN", "FR"),
        ("DE_STEUER_ID", "s"),
        ("FR_NIR", ""),
        ("ES_DNI", "nie"),
        ("IT_CODICE_FISCALE", ""),
        ("NL_BSN", "/d"),
        ("US_SSN", ""),
        ("UK_NINO", ""),
        ("CREDIT_CARD", "amex/fw"),
        ("IBAN", "NL/zw"),
    ]:
        v = generate(k, s, rng)
        print(k, repr(v), checksum_ok(k, v))
