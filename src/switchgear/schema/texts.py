"""Walking the strings inside a request: each request kind names every string a provider would
see (`texts`), can return a copy with each one changed (`map_texts`), and lists the
conversation turns by role (`turns`) for the guards that care who wrote a text.

JSON values (tool arguments, tool parameter schemas, response schemas) are walked value by
value: object keys are schema identifiers, not content, and are left alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

TextMap = Callable[[str], str]

# OpenAI restricts a message's `name` (and a tool's name) to this alphabet.
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


# Keys of a JSON schema (or a tool definition) whose values are identifiers, not content.
SCHEMA_KEYWORDS = frozenset({"type", "$ref", "$schema", "$id", "format", "name", "required"})


def json_strings(value: Any, skip: frozenset[str] = frozenset()) -> Iterator[str]:
    """Every non-empty string value inside a decoded JSON value, except under `skip` keys.
    Iterative, so a deeply nested value cannot exhaust the stack."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item:
                yield item
        elif isinstance(item, dict):
            stack.extend(v for k, v in item.items() if k not in skip)
        elif isinstance(item, list):
            stack.extend(item)


def map_json(value: Any, change: TextMap, skip: frozenset[str] = frozenset()) -> Any:
    if isinstance(value, str):
        return change(value) if value else value
    if isinstance(value, dict):
        return {k: v if k in skip else map_json(v, change, skip) for k, v in value.items()}
    if isinstance(value, list):
        return [map_json(v, change, skip) for v in value]
    return value


def encoded_json_strings(arguments: str) -> Iterator[str]:
    """The strings inside a JSON text (tool-call arguments); the text itself if it is not JSON."""
    try:
        value = json.loads(arguments)
    except ValueError:
        if arguments:
            yield arguments
        return
    yield from json_strings(value)


def map_encoded_json(arguments: str, change: TextMap) -> str:
    try:
        value = json.loads(arguments)
    except ValueError:
        return change(arguments)
    return json.dumps(map_json(value, change), ensure_ascii=False)


def safe_name(value: str) -> str:
    """A rewritten `name` kept inside OpenAI's alphabet (`<PERSON_1>` becomes `PERSON_1`)."""
    return _NAME_UNSAFE.sub("_", value).strip("_")[:64] or "anonymous"
