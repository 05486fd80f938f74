"""The JSON Schema subset the local model's grammar enforces exactly, for tool arguments and
`response_format` alike: a schema is checked here and rewritten into what the converter
(local_json_grammar.py) generates, or refused with a 400 naming the part it cannot enforce
(`uniqueItems`, `multipleOf`, `not`, an unknown `format`, ...) instead of being ignored, so
that every constrained answer validates.

The rewrite: every `$ref` inlined (a recursive one to a bounded depth, so every answer can
end), a type list split into one alternative per type, required properties that are not
listed given the schema extra properties have, and a schema that enforces nothing read as
"any value" (the converter would read it as "an object").
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from switchgear.providers.local_tool_numbers import bounded, numeric_rule
from switchgear.schema.errors import InvalidRequest

# How often a recursive `$ref` may nest in itself: a tree three levels deep.
MAX_REF_DEPTH = 3
_MAX_INLINED = 200_000  # characters of a schema with its references expanded
ANY_VALUE = {"anyOf": [{"type": t} for t in ("string", "number", "boolean", "null", "object")]}

_ANNOTATIONS = frozenset(
    {"description", "title", "default", "examples", "$comment", "deprecated", "readOnly"}
    | {"writeOnly", "$schema", "$id", "nullable", "strict", "discriminator"}
)
_ENFORCED = frozenset(
    {"type", "properties", "required", "additionalProperties", "items", "prefixItems"}
    | {"minItems", "maxItems", "enum", "const", "minLength", "maxLength", "pattern", "format"}
    | {"anyOf", "oneOf", "$ref", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
)
_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean", "null"})
# Patterns whose every match is a plain JSON string body: no `.`, escapes, quotes, negation.
_SAFE_PATTERN = re.compile(r"\^?[A-Za-z0-9 _\-\[\]{}(),|?*+:/@#]*\$?")
_CLASS_RANGE = re.compile(r"(.)-(.)")
_DIGITS, _LOWER, _UPPER = "0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# String formats the grammar generates exactly.
FORMATS = frozenset({"date", "time", "date-time", "uuid", "uuid1", "uuid2", "uuid3", "uuid4"})
# The other formats JSON Schema defines, which validators check: refused rather than ignored.
# Any other name (`password`, `binary`, ...) is an annotation that no validator checks.
_CHECKED_FORMATS = frozenset(
    {"duration", "email", "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6", "uri"}
    | {"uri-reference", "iri", "iri-reference", "uri-template", "json-pointer", "regex"}
    | {"relative-json-pointer"}
)


@dataclass(frozen=True, slots=True)
class _Scope:
    """What a refusal is about, the `$defs` references resolve to, and those being expanded."""

    subject: str
    defs: dict[str, Any]
    expanding: tuple[str, ...] = ()


def checked_schema(schema: Any, where: str, subject: str) -> dict[str, Any]:
    """The schema, checked and rewritten into the converter's subset (a copy). `where` names
    it in a refusal (`tools[0].function.parameters`), `subject` says what it belongs to
    ("tool definition"): a 400 reads "Invalid {subject}: `{where}.…` {problem}."."""
    if not isinstance(schema, dict):
        raise refusal(subject, where, "must be a JSON schema object")
    defs: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        found = schema.get(key, {})
        if not isinstance(found, dict):
            raise refusal(subject, f"{where}.{key}", "must be an object of schemas")
        defs.update({f"#/{key}/{name}": sub for name, sub in found.items()})
    top = {k: v for k, v in schema.items() if k not in ("$defs", "definitions")}
    checked = _normalised(copy.deepcopy(top), where, _Scope(subject, defs))
    if checked is None:
        raise refusal(subject, where, f"nests itself more than {MAX_REF_DEPTH} deep in every case")
    if len(json.dumps(checked)) > _MAX_INLINED:
        raise refusal(subject, where, "is too large once its references are expanded")
    return checked


def _normalised(schema: Any, where: str, scope: _Scope) -> dict[str, Any] | None:
    """The checked schema, or None where nothing can satisfy it within the depth bound."""
    if not isinstance(schema, dict):
        raise _refuse(scope, where, "must be a JSON schema object")
    unknown = sorted(set(schema) - _ENFORCED - _ANNOTATIONS)
    if unknown:
        raise _refuse(
            scope, f"{where}.{unknown[0]}", "cannot be enforced by the local model's grammar"
        )
    out = {k: v for k, v in schema.items() if k in _ENFORCED}
    for key in ("anyOf", "oneOf", "$ref"):
        if key in out and len(out) > 1:
            raise _refuse(scope, f"{where}.{key}", "cannot be combined with other constraints here")
    if "$ref" in out:
        ref = out["$ref"]
        if ref not in scope.defs:
            raise _refuse(scope, f"{where}.$ref", "must name one of this schema's `$defs`")
        if scope.expanding.count(ref) >= MAX_REF_DEPTH:
            return None
        inner = _Scope(scope.subject, scope.defs, (*scope.expanding, ref))
        return _normalised(copy.deepcopy(scope.defs[ref]), f"{where}.$ref", inner)
    for key in ("anyOf", "oneOf"):
        if key in out:
            options = out[key]
            if not isinstance(options, list) or not options:
                raise _refuse(scope, f"{where}.{key}", "must be a non-empty list of schemas")
            # oneOf is generated as anyOf: fine for the usual disjoint alternatives.
            return _any_of(
                [_normalised(s, f"{where}.{key}[{i}]", scope) for i, s in enumerate(options)]
            )
    kind = out.get("type")
    if isinstance(kind, list):
        if not kind or any(k not in _TYPES for k in kind):
            names = ", ".join(sorted(_TYPES))
            raise _refuse(scope, f"{where}.type", f"must name JSON types ({names})")
        # The converter drops a type list's other keywords; one alternative per type keeps them.
        return _any_of([_normalised({**out, "type": k}, where, scope) for k in kind])
    if kind is not None and kind not in _TYPES:
        raise _refuse(scope, f"{where}.type", f"must be one of {', '.join(sorted(_TYPES))}")
    if "enum" in out and (not isinstance(out["enum"], list) or not out["enum"]):
        raise _refuse(scope, f"{where}.enum", "must be a non-empty list")
    if out.get("format") in _CHECKED_FORMATS and kind in (None, "string"):
        problem = f"cannot be enforced (the formats it can: {', '.join(sorted(FORMATS))})"
        raise _refuse(scope, f"{where}.format", problem)
    if "pattern" in out:
        out["pattern"] = _checked_pattern(out["pattern"], f"{where}.pattern", scope)
    lengths = {"minLength", "maxLength"} & set(out)
    if lengths and ("pattern" in out or out.get("format") in FORMATS):
        problem = "cannot be combined with `pattern` or `format`"
        raise _refuse(scope, f"{where}.{min(lengths)}", problem)
    _check_order(out, where, "minLength", "maxLength", scope)
    _check_order(out, where, "minItems", "maxItems", scope)
    if kind in ("integer", "number") and bounded(out):
        try:
            numeric_rule(out)
        except ValueError as error:
            raise _refuse(scope, where, str(error)) from error
    if "properties" in out or kind == "object":
        return _normalised_object(out, where, scope)
    if "items" in out or "prefixItems" in out or kind == "array":
        return _normalised_array(out, where, scope)
    # Nothing enforced: any value. (The converter reads an empty schema as "any object".)
    return out or copy.deepcopy(ANY_VALUE)


def _any_of(options: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    possible = [option for option in options if option is not None]
    if not possible:
        return None
    return possible[0] if len(possible) == 1 else {"anyOf": possible}


def _normalised_object(out: dict[str, Any], where: str, scope: _Scope) -> dict[str, Any] | None:
    properties = out.get("properties", {})
    required = out.get("required", [])
    if not isinstance(properties, dict):
        raise _refuse(scope, f"{where}.properties", "must be an object of schemas")
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise _refuse(scope, f"{where}.required", "must be a list of property names")
    extra = out.get("additionalProperties")
    if extra is True:
        out["additionalProperties"] = copy.deepcopy(ANY_VALUE)
    elif isinstance(extra, dict):
        extra = _normalised(extra, f"{where}.additionalProperties", scope)
        out["additionalProperties"] = False if extra is None else extra
    elif extra is not None and extra is not False:
        raise _refuse(scope, f"{where}.additionalProperties", "must be a boolean or a schema")
    checked = {}
    for name, sub in properties.items():
        value = _normalised(sub, f"{where}.properties.{name}", scope)
        if value is not None:
            checked[name] = value
        elif name in required:
            return None  # a required property that cannot be generated: nor can this
        # else: an optional property too deep to generate is left out
    for name in required:
        if name not in checked and name not in properties:
            if out.get("additionalProperties") is False:
                problem = f"names `{name}`, which cannot be present"
                raise _refuse(scope, f"{where}.required", problem)
            # Required but unlisted: a value extra properties may have.
            checked[name] = copy.deepcopy(out.get("additionalProperties") or ANY_VALUE)
    if checked or "properties" in out:
        out["properties"] = checked  # else a bare object schema: the converter's any-object
    return out


def _normalised_array(out: dict[str, Any], where: str, scope: _Scope) -> dict[str, Any] | None:
    if "prefixItems" in out:
        if {"items", "minItems", "maxItems"} & set(out):
            problem = "cannot be combined with items or their counts"
            raise _refuse(scope, f"{where}.prefixItems", problem)
        tuple_items = out["prefixItems"]
        if not isinstance(tuple_items, list) or not tuple_items:
            raise _refuse(scope, f"{where}.prefixItems", "must be a non-empty list of schemas")
        checked = [
            _normalised(s, f"{where}.prefixItems[{i}]", scope) for i, s in enumerate(tuple_items)
        ]
        if any(item is None for item in checked):
            return None
        out["prefixItems"] = checked
        return out
    items = _normalised(out.get("items", {}), f"{where}.items", scope)
    if items is None:  # too deep: only the empty array is left
        if out.get("minItems", 0) > 0:
            return None
        items, out["maxItems"] = {"type": "null"}, 0
    out["items"] = items
    return out


def _checked_pattern(pattern: Any, where: str, scope: _Scope) -> str:
    if not isinstance(pattern, str) or _SAFE_PATTERN.fullmatch(pattern) is None:
        raise _refuse(
            scope,
            where,
            "must use only literals, character classes, groups, `|` and quantifiers "
            "(no `.`, escapes, quotes or negated classes)",
        )
    for body in re.findall(r"\[([^\]]*)\]", pattern):
        for low, high in _CLASS_RANGE.findall(body):
            if not any(low in s and high in s for s in (_DIGITS, _LOWER, _UPPER)):
                problem = f"has the character range `{low}-{high}`, which is too wide"
                raise _refuse(scope, where, problem)
    # JSON Schema patterns search; an anchored match is one of the strings that matches.
    return (
        ("" if pattern.startswith("^") else "^") + pattern + ("" if pattern.endswith("$") else "$")
    )


def _check_order(out: dict[str, Any], where: str, low: str, high: str, scope: _Scope) -> None:
    for key in (low, high):
        if key in out and (
            not isinstance(out[key], int) or isinstance(out[key], bool) or out[key] < 0
        ):
            raise _refuse(scope, f"{where}.{key}", "must be a non-negative integer")
    if low in out and high in out and out[low] > out[high]:
        raise _refuse(scope, f"{where}.{low}", f"is greater than {high}")


def _refuse(scope: _Scope, param: str, problem: str) -> InvalidRequest:
    return refusal(scope.subject, param, problem)


def refusal(subject: str, param: str, problem: str) -> InvalidRequest:
    """A 400 naming the schema's part: `unsupported_parameter` for valid JSON Schema that
    the grammar cannot enforce, `invalid_value` for a schema that is wrong."""
    unsupported = problem.startswith(("cannot", "nests", "is too large", "must use only"))
    return InvalidRequest(
        f"Invalid {subject}: `{param}` {problem}.",
        param=param,
        code="unsupported_parameter" if unsupported else "invalid_value",
    )
