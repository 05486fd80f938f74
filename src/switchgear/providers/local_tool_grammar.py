"""GBNF grammars that make the local model's tool calls parse and validate.

Each tool's `parameters` schema is checked (local_json_schema.py: a keyword the grammar cannot
enforce is refused with a 400 instead of being ignored, so a forced call always validates) and
converted by the same JSON-schema converter as structured output (local_json_grammar.py).

The call format is Hermes/Qwen's, which the prompt (local_tools.py) teaches the model:
`<tool_call>\\n{"name": "...", "arguments": {...}}\\n</tool_call>`, several separated by "\\n".
"""

from __future__ import annotations

import json
from typing import Any

from switchgear.providers.local_json_grammar import schema_converter
from switchgear.providers.local_json_schema import checked_schema, refusal

TOOL_CALL_OPEN = "<tool_call>"
TOOL_CALL_CLOSE = "</tool_call>"
# A bound on one answer's calls, so a small model cannot repeat calls until max_tokens.
MAX_PARALLEL_CALLS = 8


def checked_parameters(schema: Any, where: str) -> dict[str, Any]:
    """The tool's schema, checked and rewritten into the converter's subset (a copy): every
    `$ref` inlined, a recursive one to a bounded depth, so that the grammar and hence every
    call is finite (a recursive tree schema otherwise grows until max_tokens)."""
    if not isinstance(schema, dict) or schema.get("type", "object") != "object":
        raise refusal(_SUBJECT, where, "must be a JSON schema of type `object`")
    return checked_schema(schema, where, _SUBJECT)


_SUBJECT = "tool definition"


def tool_call_grammar(tools: list[tuple[str, dict[str, Any]]], many: bool, text_first: bool) -> str:
    """GBNF for one call (or up to MAX_PARALLEL_CALLS) of the given (name, checked schema)
    tools; `text_first`: free text that never spells the opening tag may come before them,
    and the calls themselves are optional (tool_choice `auto`)."""
    converter = schema_converter()
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
