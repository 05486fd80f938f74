"""Check digits of the structured identifiers: a match with a wrong check digit is not reported.

Each function takes the candidate with separators already removed (upper-case letters, ASCII
digits) and answers whether it is a well-formed, correctly checked identifier.
"""

from __future__ import annotations

import re

_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def luhn(digits: str) -> bool:
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_CARD_PREFIX = re.compile(
    r"^(?:1800|2131|4|5[1-5]|2[2-7]|3[47]|3[068]|6(?:011|5|4[4-9]|2|7)|35|50|5[6-9])"
)


_MAESTRO = re.compile(r"^(?:50|5[6-9]|6[0-9])")


def credit_card(digits: str) -> bool:
    """Luhn plus a known issuer prefix; 13-19 digits, or 12 for Maestro."""
    if len(digits) == 12:
        return bool(_MAESTRO.match(digits)) and luhn(digits)
    return 13 <= len(digits) <= 19 and bool(_CARD_PREFIX.match(digits)) and luhn(digits)


def iban(code: str) -> bool:
    """ISO 13616: country length, then mod 97 of the rearranged number is 1."""
    if len(code) < 15 or not code[:2].isalpha() or not code[2:4].isdigit():
        return False
    expected = _IBAN_LENGTHS.get(code[:2])
    if expected is not None and len(code) != expected:
        return False
    if expected is None and len(code) > 34:
        return False
    if not code.isalnum() or not code.isascii():
        return False
    rearranged = code[4:] + code[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def us_ssn(digits: str) -> bool:
    """SSA rules: no area 000, 666 or 9xx, no group 00, no serial 0000 (there is no checksum)."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return digits not in ("123456789", "078051120", "219099999")


_NINO_BAD_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def uk_nino(code: str) -> bool:
    """HMRC format rules (NINO has no check digit): prefix letters, six digits, suffix A-D."""
    if len(code) not in (8, 9) or not code[2:8].isdigit():
        return False
    first, second = code[0], code[1]
    if first in "DFIQUV" or second in "DFIOQUV" or not (first.isalpha() and second.isalpha()):
        return False
    if code[:2] in _NINO_BAD_PREFIXES:
        return False
    return len(code) == 8 or code[8] in "ABCD"


def de_steuer_id(digits: str) -> bool:
    """Steuerliche Identifikationsnummer: 11 digits, first not 0, in the first ten exactly one
    digit repeats (twice or three times, never three in a row), ISO 7064 MOD 11,10 check digit."""
    if len(digits) != 11 or not digits.isdigit() or digits[0] == "0":
        return False
    body = digits[:10]
    counts = [body.count(d) for d in set(body)]
    repeated = [c for c in counts if c > 1]
    if len(repeated) != 1 or repeated[0] not in (2, 3):
        return False
    if repeated[0] == 3 and any(body[i] == body[i + 1] == body[i + 2] for i in range(8)):
        return False
    product = 10
    for ch in body:
        total = (int(ch) + product) % 10 or 10
        product = (total * 2) % 11
    check = (11 - product) % 10
    return check == int(digits[10])


def fr_nir(code: str) -> bool:
    """Numéro d'inscription au répertoire (sécurité sociale): 13 characters + 2-digit key,
    key = 97 - (number mod 97); Corsica's 2A/2B count as 19/18."""
    if len(code) != 15 or code[0] not in "12378":
        return False
    body = code[:13]
    body = body.replace("2A", "19", 1) if body[5:7] == "2A" else body
    body = body.replace("2B", "18", 1) if body[5:7] == "2B" else body
    if not body.isdigit() or not code[13:].isdigit():
        return False
    month = int(body[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        return False
    return 97 - int(body) % 97 == int(code[13:])


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_dni(code: str) -> bool:
    """DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter); letter = number mod 23."""
    if len(code) != 9:
        return False
    head = code[:8]
    if head[0] in "XYZ":
        head = str("XYZ".index(head[0])) + head[1:]
    if not head.isdigit():
        return False
    return _DNI_LETTERS[int(head) % 23] == code[8]


_CF_ODD = {
    **dict(zip("0123456789", [1, 0, 5, 7, 9, 13, 15, 17, 19, 21], strict=True)),
    **dict(
        zip(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            [
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
            ],
            strict=True,
        )
    ),
}
_CF_SHAPE = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z]"
                       r"[0-9LMNPQRSTUV]{3}[A-Z]$")  # fmt: skip


def it_codice_fiscale(code: str) -> bool:
    """Codice fiscale: 16 characters with omocodia substitutions, check letter from the
    odd/even position tables."""
    if not _CF_SHAPE.match(code):
        return False
    total = 0
    for i, ch in enumerate(code[:15]):
        if i % 2 == 0:
            total += _CF_ODD[ch]
        else:
            total += int(ch) if ch.isdigit() else ord(ch) - 65
    return chr(65 + total % 26) == code[15]


def nl_bsn(digits: str) -> bool:
    """Burgerservicenummer: 9 digits passing the 11-proof (weights 9..2, last digit -1)."""
    if len(digits) == 8:
        digits = "0" + digits
    if len(digits) != 9 or not digits.isdigit() or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    total -= int(digits[8])
    return total % 11 == 0


def uk_nhs(digits: str) -> bool:
    """NHS number (a medical record number): 10 digits, mod 11 check digit."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])
