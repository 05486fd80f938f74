"""One-to-one character normalisation so patterns see ASCII digits, spaces and hyphens.

Every replacement maps one code point to one code point, so offsets found in the normalised
text are offsets in the original text too.
"""

from __future__ import annotations

_TABLE: dict[int, int] = {}
for _base in (0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0xFF10):  # Arabic-Indic, Persian, NKo,
    for _i in range(10):  # Devanagari, Bengali, fullwidth digits
        _TABLE[_base + _i] = ord("0") + _i
for _space in (0x00A0, 0x2007, 0x2009, 0x200A, 0x202F, 0x205F, 0x3000):
    _TABLE[_space] = ord(" ")
for _dash in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212, 0xFE63, 0xFF0D):
    _TABLE[_dash] = ord("-")
_TABLE[0xFF0B] = ord("+")
_TABLE[0xFF20] = ord("@")
_TABLE[0xFF0E] = ord(".")
_TABLE[0x066B] = ord(".")  # Arabic decimal separator
_TABLE[0x066C] = ord(",")  # Arabic thousands separator
_TABLE[0x060C] = ord(",")  # Arabic comma


def normalize(text: str) -> str:
    """Same length as `text`; digits in any of the common scripts become ASCII."""
    return text.translate(_TABLE)
