"""GBNF grammars for JSON that validates against a schema, for the local model's structured
output (`response_format`) and tool-call arguments (local_tool_grammar.py).

llama.cpp's JSON-schema converter (llama-cpp-python's copy) does the work, with what breaks
its answers closed here, measured in bench/structured/run.py:

- property order: it writes every required property before the optional ones; here each
  object follows the schema's order, and an optional property may be left out wherever it is
- strings: it lets raw control characters through, which is not JSON; here a string holds
  printable characters and the JSON escapes (a `\\u` surrogate only as a pair)
- literals (`const`, `enum`) with a backslash: it leaves them unescaped and GBNF misreads them
- numeric bounds, which it ignores: exact rules (local_tool_numbers.py)
- `format: date`, which it lets run to 2024-02-31: real dates only

The schema is checked and rewritten first (local_json_schema.py), so whatever the converter
is given, it generates exactly.
"""

from __future__ import annotations

import json
from typing import Any

from switchgear.providers.local_json_bounds import string_bound, with_bounded_strings
from switchgear.providers.local_json_schema import checked_schema
from switchgear.providers.local_tool_numbers import bounded, numeric_rule

_HEX = "[0-9a-fA-F]"
# A JSON string's characters: no raw control characters, and a `\\u` escape of a UTF-16
# surrogate only as a high-low pair, so every string decodes to valid Unicode.
_UNICODE_ESCAPE = (
    f'"u" ( [0-9a-cA-CefEF] {_HEX} {_HEX} {_HEX} | [dD] [0-7] {_HEX} {_HEX} '
    f'| [dD] [89abAB] {_HEX} {_HEX} "\\\\u" [dD] [c-fC-F] {_HEX} {_HEX} )'
)
STRING_CHAR = r'[^"\\\x7F\x00-\x1F] | "\\" ( ["\\/bfnrt] | ' + _UNICODE_ESCAPE + " )"
# Years 0001-9999 (Python's and RFC 3339's range), each month with its own days, 29 February
# in leap years only (every fourth, not centuries unless divisible by 400).
_YEAR = '( [1-9] [0-9] [0-9] [0-9] | "0" [1-9] [0-9] [0-9] | "00" [1-9] [0-9] | "000" [1-9] )'
_BY_FOUR = '( "0" [48] | [2468] [048] | [13579] [26] )'
_DAY = '"0" [1-9] | [12] [0-9]'
DATE = (
    f'{_YEAR} "-" ( ( "01" | "03" | "05" | "07" | "08" | "10" | "12" ) "-" ( {_DAY} | "3" [01] )'
    f' | ( "04" | "06" | "09" | "11" ) "-" ( {_DAY} | "30" )'
    f' | "02-" ( "0" [1-9] | "1" [0-9] | "2" [0-8] ) )'
    f' | ( [0-9] [0-9] {_BY_FOUR} | {_BY_FOUR} "00" ) "-02-29"'
)


def response_format_grammar(
    schema: dict[str, Any] | None, where: str, max_tokens: int | None = None
) -> str:
    """GBNF for one JSON value that validates against `schema`; None: any JSON object
    (`json_object`). A schema the grammar cannot enforce gets a 400 naming its part. Its
    unbounded strings end so that the answer fits in `max_tokens` (local_json_bounds.py)."""
    checked = {"type": "object"} if schema is None else checked_schema(schema, where, _SUBJECT)
    bound = string_bound(checked, max_tokens)
    converter = schema_converter(string_limit=bound)
    converter.visit(with_bounded_strings(checked, bound), "")
    return str(converter.format_grammar())


_SUBJECT = "JSON schema in response_format"


def schema_converter(string_limit: int | None = None) -> Any:
    """A converter for checked schemas (local_json_schema.checked_schema): `visit` adds the
    rules for one schema and returns its rule's name; several can share one grammar.
    `string_limit`: the strings of free-form values (an "any object" schema's) end within
    that many characters too, like the schema's own (`with_bounded_strings`)."""
    from llama_cpp import llama_grammar

    # Untyped upstream code: subclassed through Any, so its methods are Any here too.
    upstream: Any = llama_grammar.SchemaConverter

    class JsonSchemaConverter(upstream):  # type: ignore[misc]
        def visit(self, schema: dict[str, Any], name: str) -> Any:
            numeric = schema.get("type") in ("integer", "number")
            if numeric and bounded(schema) and not {"enum", "const"} & set(schema):
                rule_name = name or "root"
                return self._add_rule(rule_name, f"({numeric_rule(schema)}) space")
            return super().visit(schema, name)

        def _add_primitive(self, name: str, rule: Any) -> Any:
            if name in _EXACT:
                rule = type(rule)(_EXACT[name], [])
            elif name == "string" and string_limit is not None:
                bounded = f'"\\"" char{{0,{string_limit}}} "\\"" space'
                rule = type(rule)(bounded, rule.deps)
            return super()._add_primitive(name, rule)

        def _format_literal(self, literal: str) -> str:
            # Upstream leaves backslashes alone, which GBNF then reads as escapes.
            escaped = literal.replace("\\", "\\\\").replace('"', '\\"')
            return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'

        def _build_object_rule(
            self,
            properties: list[tuple[str, Any]],
            required: set[str],
            name: str,
            additional_properties: Any,
        ) -> str:
            prefix = f"{name}-" if name else ""
            if not properties and isinstance(additional_properties, dict):
                return self._map_rule(prefix, additional_properties)
            # Extra properties, where the schema allows them, are never written: an answer
            # with the listed ones only validates all the same.
            pairs = []
            for key, sub in properties:
                value = self.visit(sub, f"{prefix}{key}")
                literal = self._format_literal(json.dumps(key))
                pair = self._add_rule(f"{prefix}{key}-kv", f'{literal} space ":" space {value}')
                pairs.append((pair, key in required))
            # From the last property back: `rest` is what may follow once a property is
            # written (each later one after a comma), `first` what may open the object.
            rest, first = "", ""
            for index in range(len(pairs) - 1, -1, -1):
                pair, is_required = pairs[index]
                opening = f"{pair} {rest}".rstrip()
                if is_required:
                    first, after = opening, f'"," space {pair} {rest}'
                else:
                    first = f"( {opening} | {first} )" if first else f"( {opening} )?"
                    after = f'( "," space {pair} )? {rest}'
                if index > 0:
                    rest = self._add_rule(f"{prefix}rest-{index}", after.rstrip())
            return f'"{{" space {first} "}}" space'.replace("space  ", "space ")

        def _map_rule(self, prefix: str, values: dict[str, Any]) -> str:
            value = self.visit(values, f"{prefix}additional-value")
            key = self._add_primitive("string", llama_grammar.PRIMITIVE_RULES["string"])
            pair = self._add_rule(f"{prefix}additional-kv", f'{key} ":" space {value}')
            return f'"{{" space ( {pair} ( "," space {pair} )* )? "}}" space'

    return JsonSchemaConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)


# Upstream's built-in rules replaced by exact ones (by the name upstream adds them under).
_EXACT = {"char": STRING_CHAR, "date": DATE}
