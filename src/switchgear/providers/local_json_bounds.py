"""How long the strings of a schema-constrained answer may run, so that the whole answer ends
as JSON within `max_tokens`.

A small model can loop inside a string until `max_tokens` cuts the answer, which is then not
JSON (7 of 200 answers in bench/structured before any bound, all of them so). Every string the
schema leaves unbounded, and every unbounded repetition in a pattern, gets a bound instead:
MAX_UNBOUNDED_STRING characters, or less where the schema holds so many such strings that
they could not all end within the answer's token budget (one bound of 200 let 3 list items of
a two-part pattern run to 1,200 characters). A string is still valid, always complete.
Tool arguments are not bounded (a file's content may be long).
"""

from __future__ import annotations

from typing import Any

MAX_UNBOUNDED_STRING = 200
# Below this a free-text answer stops being useful; a schema that needs more strings than the
# budget allows at this size gets its answers cut, as it did before any bound.
MIN_STRING_BOUND = 16
# An array without `maxItems` is counted as this many items: enough for the usual short lists.
UNBOUNDED_ITEMS = 4
# Half the token budget for the strings, half for keys, punctuation and numbers; a string's
# text counted at two characters a token (English prose runs at about four, a run of one
# repeated letter, the usual loop, at two to eight).
_STRING_SHARE = 2
_CHARS_PER_TOKEN = 2


def string_bound(schema: dict[str, Any], max_tokens: int | None) -> int:
    """The characters each unbounded string of a checked schema may hold."""
    if max_tokens is None:
        return MAX_UNBOUNDED_STRING
    slots = max(1, open_strings(schema))
    fitting = max_tokens * _CHARS_PER_TOKEN // (_STRING_SHARE * slots)
    return max(MIN_STRING_BOUND, min(MAX_UNBOUNDED_STRING, fitting))


def open_strings(schema: Any) -> int:
    """At most how many unbounded strings (or unbounded pattern repetitions) one answer to a
    checked schema (its `$ref`s inlined) holds."""
    if not isinstance(schema, dict):
        return 0
    options = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(options, list):
        return max((open_strings(option) for option in options), default=0)
    types = schema.get("type")
    kinds = set(types) if isinstance(types, list) else {types}
    count = 0
    if "string" in kinds or (types is None and "pattern" in schema):
        count = max(count, _string_slots(schema))
    if "array" in kinds or "items" in schema:
        items = schema.get("maxItems", max(UNBOUNDED_ITEMS, int(schema.get("minItems", 0))))
        count = max(count, int(items) * open_strings(schema.get("items")))
    if "object" in kinds or "properties" in schema:
        properties = schema.get("properties")
        if isinstance(properties, dict) and properties:
            count = max(count, sum(open_strings(sub) for sub in properties.values()))
        else:
            count = max(count, 2 * UNBOUNDED_ITEMS)  # a free-form object: keys and values
    return count


def _string_slots(schema: dict[str, Any]) -> int:
    if {"maxLength", "format", "enum", "const"} & set(schema):
        return 0
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        return _unbounded_repetitions(pattern)
    return 1


def with_bounded_strings(schema: Any, bound: int = MAX_UNBOUNDED_STRING) -> Any:
    """A copy of a checked schema in which every free-text string has a `maxLength` and every
    pattern's `+` and `*` a bound, both `bound` (a `minLength` above it is kept)."""
    if isinstance(schema, list):
        return [with_bounded_strings(item, bound) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: with_bounded_strings(value, bound) for key, value in schema.items()}
    free_text = not {"maxLength", "pattern", "format", "enum", "const"} & set(schema)
    if schema.get("type") == "string" and free_text:
        out["maxLength"] = max(bound, int(schema.get("minLength", 0)))
    if isinstance(schema.get("pattern"), str):
        out["pattern"] = bounded_pattern(schema["pattern"], bound)
    return out


def bounded_pattern(pattern: str, bound: int = MAX_UNBOUNDED_STRING) -> str:
    """The pattern with each `+` and `*` outside a character class bounded to `bound`
    repetitions: every match of it is still a match of the original.
    (Checked patterns hold no escapes: local_json_schema._checked_pattern.)"""
    out = []
    for char, repeats in _read_pattern(pattern):
        out.append(f"{{{1 if char == '+' else 0},{bound}}}" if repeats else char)
    return "".join(out)


def _unbounded_repetitions(pattern: str) -> int:
    return sum(repeats for _, repeats in _read_pattern(pattern))


def _read_pattern(pattern: str) -> list[tuple[str, bool]]:
    """Each character of a pattern, and whether it is a `+` or `*` outside a class."""
    read, in_class = [], False
    for char in pattern:
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        read.append((char, not in_class and char in "+*"))
    return read
