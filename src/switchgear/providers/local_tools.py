"""Tool calling on the local model: which calls a request allows, and how tools, earlier calls
and their results are written into the prompt.

A model whose chat template knows tools gets them through the template. One that does not
(SmolLM2) gets the Hermes/Qwen2.5 convention, the most common one in open chat models: the
tools as JSON inside `<tools></tools>` in the system prompt, each call answered as
`<tool_call>{"name": ..., "arguments": ...}</tool_call>`, results sent back inside
`<tool_response></tool_response>` in a user turn. Whenever a call is possible a grammar
(local_tool_grammar.py) holds the model to that format and to each tool's schema, so the
reader of the answer (local_tool_reader.py) is a plain streaming scanner.

`tool_choice`: `required` and a named function force calls through the grammar; `auto` lets
free text come first, which the grammar only keeps from spelling `<tool_call>` unless a valid
call follows; `none` leaves the tools out of the prompt, so the small model is not tempted to
imitate a call it may not make, and never reads its answer as calls.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from switchgear.providers.local_tool_grammar import (
    TOOL_CALL_CLOSE,
    TOOL_CALL_OPEN,
    checked_parameters,
    tool_call_grammar,
)
from switchgear.schema.errors import InvalidRequest
from switchgear.schema.messages import Message
from switchgear.schema.requests import ChatCompletionRequest

_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_NO_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}

TOOLS_PROMPT = """# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{tools}
</tools>

For each function call, return a json object with function name and arguments within \
<tool_call></tool_call> XML tags:
<tool_call>
{{"name": <function-name>, "arguments": <args-json-object>}}
</tool_call>"""


@dataclass(frozen=True, slots=True)
class ToolPlan:
    """The tools of one request and the calls its `tool_choice` allows."""

    tools: tuple[dict[str, Any], ...]  # as the prompt shows them: {"type": "function", ...}
    schemas: tuple[tuple[str, dict[str, Any]], ...]  # (name, checked parameters schema)
    choice: str  # "none", "auto" or "required"
    forced: str | None = None  # the one function a named tool_choice calls
    parallel: bool = True

    @property
    def may_call(self) -> bool:
        return self.choice != "none"

    def grammar_key(self) -> str:
        return json.dumps([self.schemas, self.choice, self.forced, self.parallel], sort_keys=True)

    def grammar(self) -> str:
        named = [s for s in self.schemas if self.forced in (None, s[0])]
        many = self.parallel and self.forced is None
        return tool_call_grammar(named, many=many, text_first=self.choice == "auto")


def _invalid(message: str, param: str, code: str = "invalid_value") -> InvalidRequest:
    return InvalidRequest(message, param=param, code=code)


def plan_tools(request: ChatCompletionRequest) -> ToolPlan | None:
    """The request's tools, checked; None when it has none."""
    if not request.tools:
        if request.tool_choice is not None:
            raise _invalid(
                "`tool_choice` is only allowed when `tools` are specified.",
                param="tool_choice",
            )
        return None
    tools: list[dict[str, Any]] = []
    schemas: list[tuple[str, dict[str, Any]]] = []
    for position, tool in enumerate(request.tools):
        where = f"tools[{position}]"
        function = tool.get("function")
        if tool.get("type") != "function" or not isinstance(function, dict):
            raise _invalid(
                f"`{where}` must be {{'type': 'function', 'function': {{...}}}}; the local model "
                "supports function tools only.",
                param=f"{where}.type",
                code="unsupported_parameter",
            )
        name = function.get("name")
        if not isinstance(name, str) or _NAME.fullmatch(name) is None:
            raise _invalid(
                f"`{where}.function.name` must be 1-64 letters, digits, `_` or `-`.",
                param=f"{where}.function.name",
            )
        if any(name == known for known, _ in schemas):
            raise _invalid(
                f"Two tools are named `{name}`.",
                param=f"{where}.function.name",
            )
        description = function.get("description")
        if description is not None and not isinstance(description, str):
            raise _invalid(
                f"`{where}.function.description` must be a string.",
                param=f"{where}.function.description",
            )
        given = function.get("parameters", _NO_PARAMETERS)
        schemas.append((name, checked_parameters(given, f"{where}.function.parameters")))
        shown = {"name": name, "description": description, "parameters": given}
        tools.append({"type": "function", "function": {k: v for k, v in shown.items() if v}})
    choice, forced = _choice(request.tool_choice, [name for name, _ in schemas])
    parallel = request.parallel_tool_calls is not False
    return ToolPlan(tuple(tools), tuple(schemas), choice, forced, parallel)


def _choice(value: str | dict[str, Any] | None, names: list[str]) -> tuple[str, str | None]:
    if value is None:
        return "auto", None
    if value in ("none", "auto", "required"):
        return str(value), None
    function = value.get("function") if isinstance(value, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(value, dict) or value.get("type") != "function" or not name:
        raise _invalid(
            "`tool_choice` must be `none`, `auto`, `required` or "
            "{'type': 'function', 'function': {'name': ...}}.",
            param="tool_choice",
        )
    if name not in names:
        raise _invalid(
            f"`tool_choice` names the function `{name}`, which is not in `tools`.",
            param="tool_choice.function.name",
        )
    return "required", str(name)


# -- the prompt -----------------------------------------------------------------------------


def prompt_messages(
    messages: list[Message], plan: ToolPlan | None, native: bool
) -> list[dict[str, Any]]:
    """The messages as the chat template receives them. `native`: the template renders tools,
    `tool_calls` and `tool` messages itself (HF's shapes); otherwise the Hermes convention is
    written here, as plain system/user/assistant turns any template accepts."""
    if native:
        return [_native_message(m) for m in messages]
    out: list[dict[str, Any]] = []
    previous_was_tool = False
    for message in messages:
        role = "system" if message.role == "developer" else message.role
        if role in ("tool", "function"):
            block = f"<tool_response>\n{message.text()}\n</tool_response>"
            if previous_was_tool:
                out[-1]["content"] += "\n" + block
            else:
                out.append({"role": "user", "content": block})
            previous_was_tool = True
            continue
        previous_was_tool = False
        content = message.text()
        if message.tool_calls:
            blocks = [
                _call_block(c.function.name, c.function.arguments) for c in message.tool_calls
            ]
            content = "\n".join([content, *blocks] if content else blocks)
        out.append({"role": role, "content": content})
    if plan is not None and plan.may_call:
        # Compact JSON: on 2 cores the prompt's prefill is most of a tool call's latency.
        listed = "\n".join(_compact(tool) for tool in plan.tools)
        section = TOOLS_PROMPT.format(tools=listed)
        if out and out[0]["role"] == "system":
            out[0]["content"] = f"{out[0]['content']}\n\n{section}".lstrip()
        else:
            out.insert(0, {"role": "system", "content": section})
    return out


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _call_block(name: str, arguments: str) -> str:
    call = {"name": name, "arguments": _parsed(arguments)}
    return f"{TOOL_CALL_OPEN}\n{json.dumps(call, ensure_ascii=False)}\n{TOOL_CALL_CLOSE}"


def _parsed(arguments: str) -> Any:
    try:
        return json.loads(arguments)
    except ValueError:
        return arguments  # shown as the string it is; the model sees what the client sent


def _native_message(message: Message) -> dict[str, Any]:
    role = "system" if message.role == "developer" else message.role
    out: dict[str, Any] = {"role": "tool" if role == "function" else role}
    out["content"] = message.text()
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.function.name, "arguments": _parsed(c.function.arguments)},
            }
            for c in message.tool_calls
        ]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    if message.name is not None:
        out["name"] = message.name
    return out


def template_renders_tools(template: str) -> bool:
    """Templates with a tool section read a `tools` variable (Qwen, Hermes, Llama 3.1...)."""
    return re.search(r"\btools\b", template) is not None
