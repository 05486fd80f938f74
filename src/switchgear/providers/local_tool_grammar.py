"""GBNF grammars that make the local model's tool calls parse and validate.

Each tool's `parameters` schema goes through llama.cpp's own JSON-schema converter, with the
gaps that matter for tool arguments closed here: numeric bounds (the converter ignores them),
control characters and backslashes in strings (it lets them through, which breaks the JSON),
`$ref`s (inlined, a recursive one to a bounded depth, so every call can end), required
properties that are not listed, schemas that enforce nothing (it reads them as "an object"). A
schema keyword the grammar cannot enforce (`uniqueItems`, `multipleOf`, `not`, ...) is refused
with a 400 instead of being ignored, so a forced call always validates.

The call format is Hermes/Qwen's, which the prompt (local_tools.py) teaches the model:
`<tool_call>\\n{"name": "...", "arguments": {...}}\\n</tool_call>`, several separated by "\\n".
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from switchgear.providers.local_tool_numbers import bounded, numeric_rule
from switchgear.schema.errors import InvalidRequest

TOOL_CALL_OPEN = "<tool_call>"
TOOL_CALL_CLOSE = "</tool_call>"
# A bound on one answer's calls, so a small model cannot repeat calls until max_tokens.
MAX_PARALLEL_CALLS = 8
# How often a recursive `$ref` may nest in itself: a tree three levels deep.
MAX_REF_DEPTH = 3
_MAX_INLINED = 200_000  # characters of a schema with its references expanded
_ANY = {"anyOf": [{"type": t} for t in ("string", "number", "boolean", "null", "object")]}

_ANNOTATIONS = frozenset(
    {"description", "title", "default", "examples", "$comment", "deprecated", "readOnly"}
    | {"writeOnly", "$schema", "$id", "nullable", "strict"}
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
# String formats the converter generates exactly (it ignores the others, as validators do).
_FORMATS = frozenset({"date", "time", "date-time", "uuid", "uuid1", "uuid2", "uuid3", "uuid4"})
# JSON string characters: no raw control characters (llama.cpp's rule allows them).
_STRICT_CHAR = (
    r'[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" ' + " ".join(["[0-9a-fA-F]"] * 4) + ")"
)


@dataclass(frozen=True, slots=True)
class _Scope:
    """The `$defs` a schema's references resolve to, and the references being expanded."""

    defs: dict[str, Any]
    expanding: tuple[str, ...] = ()


def checked_parameters(schema: Any, where: str) -> dict[str, Any]:
    """The tool's schema, checked and rewritten into the converter's subset (a copy): every
    `$ref` inlined, a recursive one at most MAX_REF_DEPTH deep, so that the grammar and hence
    every call is finite (a recursive tree schema otherwise grows until max_tokens)."""
    if not isinstance(schema, dict) or schema.get("type", "object") != "object":
        raise _refuse(where, "must be a JSON schema of type `object`")
    defs: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        found = schema.get(key, {})
        if not isinstance(found, dict):
            raise _refuse(f"{where}.{key}", "must be an object of schemas")
        defs.update({f"#/{key}/{name}": sub for name, sub in found.items()})
    top = {k: v for k, v in schema.items() if k not in ("$defs", "definitions")}
    checked = _normalised(copy.deepcopy(top), where, _Scope(defs))
    if checked is None:
        raise _refuse(where, f"nests itself more than {MAX_REF_DEPTH} deep in every case")
    if len(json.dumps(checked)) > _MAX_INLINED:
        raise _refuse(where, "is too large once its references are expanded")
    return checked


def _normalised(schema: Any, where: str, scope: _Scope) -> dict[str, Any] | None:
    """The checked schema, or None where nothing can satisfy it within the depth bound."""
    if not isinstance(schema, dict):
        raise _refuse(where, "must be a JSON schema object")
    unknown = sorted(set(schema) - _ENFORCED - _ANNOTATIONS)
    if unknown:
        raise _refuse(f"{where}.{unknown[0]}", "cannot be enforced by the local model's grammar")
    out = {k: v for k, v in schema.items() if k in _ENFORCED}
    for key in ("anyOf", "oneOf", "$ref"):
        if key in out and len(out) > 1:
            raise _refuse(f"{where}.{key}", "cannot be combined with other constraints here")
    if "$ref" in out:
        ref = out["$ref"]
        if ref not in scope.defs:
            raise _refuse(f"{where}.$ref", "must name one of this schema's `$defs`")
        if scope.expanding.count(ref) >= MAX_REF_DEPTH:
            return None
        inner = _Scope(scope.defs, (*scope.expanding, ref))
        return _normalised(copy.deepcopy(scope.defs[ref]), f"{where}.$ref", inner)
    for key in ("anyOf", "oneOf"):
        if key in out:
            options = out[key]
            if not isinstance(options, list) or not options:
                raise _refuse(f"{where}.{key}", "must be a non-empty list of schemas")
            # oneOf is generated as anyOf: fine for the usual disjoint alternatives.
            return _any_of(
                [_normalised(s, f"{where}.{key}[{i}]", scope) for i, s in enumerate(options)]
            )
    kind = out.get("type")
    if isinstance(kind, list):
        if not kind or any(k not in _TYPES for k in kind):
            raise _refuse(f"{where}.type", f"must name JSON types ({', '.join(sorted(_TYPES))})")
        # The converter drops a type list's other keywords; one alternative per type keeps them.
        return _any_of([_normalised({**out, "type": k}, where, scope) for k in kind])
    if kind is not None and kind not in _TYPES:
        raise _refuse(f"{where}.type", f"must be one of {', '.join(sorted(_TYPES))}")
    if "enum" in out and (not isinstance(out["enum"], list) or not out["enum"]):
        raise _refuse(f"{where}.enum", "must be a non-empty list")
    if "pattern" in out:
        out["pattern"] = _checked_pattern(out["pattern"], f"{where}.pattern")
    lengths = {"minLength", "maxLength"} & set(out)
    if lengths and ("pattern" in out or out.get("format") in _FORMATS):
        raise _refuse(f"{where}.{min(lengths)}", "cannot be combined with `pattern` or `format`")
    _check_order(out, where, "minLength", "maxLength")
    _check_order(out, where, "minItems", "maxItems")
    if kind in ("integer", "number") and bounded(out):
        try:
            numeric_rule(out)
        except ValueError as error:
            raise _refuse(where, str(error)) from error
    if "properties" in out or kind == "object":
        return _normalised_object(out, where, scope)
    if "items" in out or "prefixItems" in out or kind == "array":
        return _normalised_array(out, where, scope)
    # Nothing enforced: any value. (The converter reads an empty schema as "any object".)
    return out or copy.deepcopy(_ANY)


def _any_of(options: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    possible = [option for option in options if option is not None]
    if not possible:
        return None
    return possible[0] if len(possible) == 1 else {"anyOf": possible}


def _normalised_object(out: dict[str, Any], where: str, scope: _Scope) -> dict[str, Any] | None:
    properties = out.get("properties", {})
    required = out.get("required", [])
    if not isinstance(properties, dict):
        raise _refuse(f"{where}.properties", "must be an object of schemas")
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise _refuse(f"{where}.required", "must be a list of property names")
    extra = out.get("additionalProperties")
    if isinstance(extra, dict):
        extra = _normalised(extra, f"{where}.additionalProperties", scope)
        out["additionalProperties"] = False if extra is None else extra
    elif extra is not None and not isinstance(extra, bool):
        raise _refuse(f"{where}.additionalProperties", "must be a boolean or a schema")
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
                raise _refuse(f"{where}.required", f"names `{name}`, which cannot be present")
            checked[name] = copy.deepcopy(_ANY)  # required but unlisted: any value will do
    if checked or "properties" in out:
        out["properties"] = checked  # else a bare object schema: the converter's any-object
    return out


def _normalised_array(out: dict[str, Any], where: str, scope: _Scope) -> dict[str, Any] | None:
    if "prefixItems" in out:
        if {"items", "minItems", "maxItems"} & set(out):
            raise _refuse(f"{where}.prefixItems", "cannot be combined with items or their counts")
        tuple_items = out["prefixItems"]
        if not isinstance(tuple_items, list) or not tuple_items:
            raise _refuse(f"{where}.prefixItems", "must be a non-empty list of schemas")
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


def _checked_pattern(pattern: Any, where: str) -> str:
    if not isinstance(pattern, str) or _SAFE_PATTERN.fullmatch(pattern) is None:
        raise _refuse(
            where,
            "must use only literals, character classes, groups, `|` and quantifiers "
            "(no `.`, escapes, quotes or negated classes)",
        )
    for body in re.findall(r"\[([^\]]*)\]", pattern):
        for low, high in _CLASS_RANGE.findall(body):
            if not any(low in s and high in s for s in (_DIGITS, _LOWER, _UPPER)):
                raise _refuse(where, f"has the character range `{low}-{high}`, which is too wide")
    # JSON Schema patterns search; an anchored match is one of the strings that matches.
    return (
        ("" if pattern.startswith("^") else "^") + pattern + ("" if pattern.endswith("$") else "$")
    )


_DIGITS, _LOWER, _UPPER = "0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _check_order(out: dict[str, Any], where: str, low: str, high: str) -> None:
    for key in (low, high):
        if key in out and (
            not isinstance(out[key], int) or isinstance(out[key], bool) or out[key] < 0
        ):
            raise _refuse(f"{where}.{key}", "must be a non-negative integer")
    if low in out and high in out and out[low] > out[high]:
        raise _refuse(f"{where}.{low}", f"is greater than {high}")


def _refuse(param: str, problem: str) -> InvalidRequest:
    """A 400 naming the schema's part: `unsupported_parameter` for valid JSON Schema that
    the grammar cannot enforce, `invalid_value` for a schema that is wrong."""
    unsupported = problem.startswith(("cannot", "nests", "is too large", "must use only"))
    return InvalidRequest(
        f"Invalid tool definition: `{param}` {problem}.",
        param=param,
        code="unsupported_parameter" if unsupported else "invalid_value",
    )


# -- numeric bounds -------------------------------------------------------------------------


def tool_call_grammar(tools: list[tuple[str, dict[str, Any]]], many: bool, text_first: bool) -> str:
    """GBNF for one call (or up to MAX_PARALLEL_CALLS) of the given (name, checked schema)
    tools; `text_first`: free text that never spells the opening tag may come before them,
    and the calls themselves are optional (tool_choice `auto`)."""
    converter = _converter()
    options = []
    for index, (name, schema) in enumerate(tools):
        args = converter.visit(schema, f"tool-{index}-args")
        head = converter._format_literal(json.dumps(name) + ', "arguments": ')
        options.append(converter._add_rule(f"tool-{index}", f"{head} {args}"))
    call = (
        converter._format_literal(TOOL_CALL_OPEN + '\n{"name": ')
        + f" ( {' | '.join(options)} ) "
        + converter._format_literal("}\n" + TOOL_CALL_CLOSE)
    )
    converter._add_rule("call", call)
    repeat = f' ( "\\n" call ){{0,{MAX_PARALLEL_CALLS - 1}}}' if many else ""
    converter._add_rule("calls", f"call{repeat}")
    if text_first:
        _add_text_rules(converter)
        converter._add_rule("root", "text-0 calls?")
    else:
        converter._add_rule("root", "calls")
    return str(converter.format_grammar())


def _add_text_rules(converter: Any) -> None:
    """Text that never contains the opening tag, as a small automaton: `text-i` has matched
    the tag's first i characters; another `<` restarts the match, any other character
    resets it, and the tag's last character is never allowed to complete it."""
    tag = TOOL_CALL_OPEN
    converter._add_rule("text-0", '| [^<] text-0 | "<" text-1')
    for i in range(1, len(tag)):
        nxt = tag[i]
        step = f' | "{nxt}" text-{i + 1}' if i + 1 < len(tag) else ""
        converter._add_rule(f"text-{i}", f'| [^{nxt}<] text-0 | "<" text-1{step}')


def _converter() -> Any:
    from llama_cpp import llama_grammar

    # Untyped upstream code: subclassed through Any, so its methods are Any here too.
    upstream: Any = llama_grammar.SchemaConverter

    class ToolSchemaConverter(upstream):  # type: ignore[misc]
        def visit(self, schema: dict[str, Any], name: str) -> Any:
            numeric = schema.get("type") in ("integer", "number")
            if numeric and bounded(schema) and not {"enum", "const"} & set(schema):
                rule_name = name or "root"
                return self._add_rule(rule_name, f"({numeric_rule(schema)}) space")
            return super().visit(schema, name)

        def _add_primitive(self, name: str, rule: Any) -> Any:
            if name == "char":
                rule = type(rule)(_STRICT_CHAR, [])
            return super()._add_primitive(name, rule)

        def _format_literal(self, literal: str) -> str:
            # Upstream leaves backslashes alone, which GBNF then reads as escapes.
            escaped = literal.replace("\\", "\\\\").replace('"', '\\"')
            return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'

    return ToolSchemaConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
