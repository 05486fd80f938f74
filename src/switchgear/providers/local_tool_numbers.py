"""Exact GBNF rules for bounded numbers in tool arguments and structured output: llama.cpp's
JSON-schema converter ignores `minimum`/`maximum` (and their exclusive forms), so a
constrained answer could break them.
An integer range becomes digit-by-digit alternatives; a number range, its integer part's range
with a bounded fraction."""

from __future__ import annotations

import math
from typing import Any

_MAX_DIGITS = 16
_FRACTION = '"." [0-9]{0,5} [1-9]'


def bounded(schema: dict[str, Any]) -> bool:
    return any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"))


def numeric_rule(schema: dict[str, Any]) -> str:
    """A GBNF expression for the numbers an `integer`/`number` schema's bounds allow."""
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        value = schema.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"`{key}` must be a number")
    low, low_open = _tighter(schema.get("minimum"), schema.get("exclusiveMinimum"), max)
    high, high_open = _tighter(schema.get("maximum"), schema.get("exclusiveMaximum"), min)
    low, high = _clamped(low, high)
    int_low = None if low is None else (math.floor(low) + 1 if low_open else math.ceil(low))
    int_high = None if high is None else (math.ceil(high) - 1 if high_open else math.floor(high))
    options = []
    if int_low is None or int_high is None or int_low <= int_high:
        options.append(integer_rule(int_low, int_high))
    if schema.get("type") == "number":
        # Fractions ending in a non-zero digit lie strictly between two integers, so the open
        # interval (i, i + 1) only needs its ends inside the bounds, open or closed.
        frac_low = 0 if low is None else max(0, math.ceil(low))
        frac_high = None if high is None else math.floor(high) - 1
        if frac_high is None or frac_low <= frac_high:
            options.append(f"({_natural(frac_low, frac_high)}) {_FRACTION}")
        neg_low = 0 if high is None else max(0, math.ceil(-high))
        neg_high = None if low is None else math.floor(-low) - 1
        if neg_high is None or neg_low <= neg_high:
            options.append(f'"-" ({_natural(neg_low, neg_high)}) {_FRACTION}')
    if not options:
        raise ValueError("allows no number (its bounds exclude each other)")
    return " | ".join(f"({option})" for option in options)


def _tighter(inclusive: Any, exclusive: Any, pick: Any) -> tuple[float | None, bool]:
    if exclusive is None:
        return inclusive, False
    if inclusive is None or pick(inclusive, exclusive) == exclusive:
        return exclusive, True
    return inclusive, False


def _clamped(low: float | None, high: float | None) -> tuple[float | None, float | None]:
    """Bounds beyond what the grammar's digits reach are no bound at all, or impossible."""
    limit = 10.0**_MAX_DIGITS
    if (low is not None and low >= limit) or (high is not None and high <= -limit):
        raise ValueError(f"has bounds beyond {_MAX_DIGITS} digits")
    return (None if low is not None and low <= -limit else low), (
        None if high is not None and high >= limit else high
    )


def integer_rule(low: int | None, high: int | None) -> str:
    """A GBNF expression for the integers in [low, high] (None: unbounded), no leading zeros."""
    if low is not None and high is not None and low > high:
        raise ValueError("allows no integer (its bounds exclude each other)")
    options = []
    if low is None or low < 0:
        magnitude_low = 1 if high is None or high >= 0 else -high
        options.append(f'"-" ({_natural(magnitude_low, None if low is None else -low)})')
    if high is None or high >= 0:
        options.append(_natural(0 if low is None else max(0, low), high))
    return " | ".join(options)


def _natural(low: int, high: int | None) -> str:
    """Natural numbers in [low, high], one alternative per digit count."""
    options = []
    digits = len(str(low))
    while digits <= _MAX_DIGITS:
        first = low if digits == len(str(low)) else 10 ** (digits - 1)
        last = 10**digits - 1
        if high is not None and high <= last:
            options.append(_same_length(str(first), str(high)))
            break
        if high is None and digits > 1 and first == 10 ** (digits - 1):
            options.append(f"[1-9] [0-9]{{{digits - 1},{_MAX_DIGITS - 1}}}")
            break
        options.append(_same_length(str(first), str(last)))
        digits += 1
    return " | ".join(options)


def _same_length(low: str, high: str) -> str:
    """Digit strings of one length between low and high, inclusive."""
    if low == high:
        return f'"{low}"'
    rest = len(low) - 1
    if low[1:] == "0" * rest and high[1:] == "9" * rest:
        return f"[{low[0]}-{high[0]}]" + (f" [0-9]{{{rest}}}" if rest else "")
    if low[0] == high[0]:
        return f'"{low[0]}" ({_same_length(low[1:], high[1:])})'
    options = [f'"{low[0]}" ({_same_length(low[1:], "9" * rest)})']
    if ord(high[0]) - ord(low[0]) > 1:
        options.append(f"[{chr(ord(low[0]) + 1)}-{chr(ord(high[0]) - 1)}] [0-9]{{{rest}}}")
    options.append(f'"{high[0]}" ({_same_length("0" * rest, high[1:])})')
    return " | ".join(options)
