"""Responses API tools as the chat function tools every provider takes, and the model's calls
back as the items the caller expects.

Three kinds of client tool are run by the caller, so any model can drive them:

- `function` tools, alone or grouped in a `namespace` (Codex puts its sub-agent and MCP tools
  there). A namespaced tool goes up as one function named `<namespace>__<name>`; its call
  comes back as a `function_call` item carrying `namespace` and `name` apart again.
- `custom` tools take free text instead of JSON (Codex's `apply_patch`). One goes up as a
  function with a single string parameter `input`; its call comes back as a
  `custom_tool_call` item whose `input` is that string.
- `local_shell`: a function taking the documented exec action (`command`, `workdir`, ...);
  its call comes back as a `local_shell_call` item with that `action`.

`mcp` tools name one of this gateway's own MCP servers by `server_label`; the gateway offers
that server's tools to the model and runs the calls itself (`tool_loop.py`), reporting them as
`mcp_list_tools` and `mcp_call` items.

Hosted tools (web search, file search, computer use, code interpreter, image generation)
run inside OpenAI; no other provider can run them. `tool_search` loads deferred
tools by a protocol of its own (`tool_search_call` / `tool_search_output` items) that no
other model speaks. None of these is forwarded: the model answers without them, as it would
with the tool switched off, and the reply's `x-switchgear-dropped-tools` header names what
was left out. That is what lets an agent like Codex, which always offers `web_search`, work
through the gateway (a 400 would stop every Codex turn). A request that forces a dropped
tool with `tool_choice` cannot be honoured and is refused with a 400.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from switchgear.schema.errors import InvalidRequest
from switchgear.schema.messages import FunctionCall, ToolCall

HOSTED = frozenset(
    {
        "web_search",
        "web_search_preview",
        "web_search_preview_2025_03_11",
        "file_search",
        "computer_use",
        "computer_use_preview",
        "code_interpreter",
        "image_generation",
        "tool_search",
    }
)
LOCAL_SHELL = "local_shell"
# OpenAI's limit on function names; a longer namespaced name is shortened with a hash.
_NAME_LIMIT = 64
_LOCAL_SHELL_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "command": {"type": "array", "items": {"type": "string"}},
        "workdir": {"type": "string"},
        "timeout_ms": {"type": "integer"},
        "env": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["command"],
}
_LOCAL_SHELL_DESCRIPTION = "Runs a command on the caller's machine; `command` is its argv."


@dataclass(frozen=True, slots=True)
class ToolOrigin:
    """What a chat function stands for on the Responses side."""

    kind: Literal["function", "custom", "local_shell"]
    name: str
    namespace: str | None = None


@dataclass(slots=True)
class ToolTable:
    """A request's tools as chat tools, how their names map back, and what was dropped."""

    tools: list[dict[str, Any]] = field(default_factory=list)
    origins: dict[str, ToolOrigin] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    mcp: list[dict[str, Any]] = field(default_factory=list)  # MCP servers the gateway runs

    def origin(self, chat_name: str) -> ToolOrigin:
        return self.origins.get(chat_name) or ToolOrigin("function", chat_name)


def chat_name(name: str, namespace: str | None = None) -> str:
    """The function name a (namespaced) tool goes up as; the same on every turn."""
    if not namespace:
        return name
    joined = f"{namespace}{name}" if namespace.endswith("__") else f"{namespace}__{name}"
    if len(joined) <= _NAME_LIMIT:
        return joined
    digest = hashlib.sha256(joined.encode()).hexdigest()[:8]
    return f"{joined[: _NAME_LIMIT - 9]}_{digest}"


def tool_table(tools: list[dict[str, Any]] | None) -> ToolTable:
    table = ToolTable()
    for k, tool in enumerate(tools or ()):
        kind = tool.get("type")
        where = f"tools[{k}]"
        if kind == "function":
            _add(table, _function(tool, where, None), ToolOrigin("function", tool["name"]))
        elif kind == "namespace":
            _namespace(table, tool, where)
        elif kind == "custom":
            name = _name(tool, where)
            spec = {
                "name": name,
                "parameters": {
                    "type": "object",
                    "properties": {"input": {"type": "string", "description": _format(tool)}},
                    "required": ["input"],
                },
            }
            if tool.get("description"):
                spec["description"] = tool["description"]
            _add(table, spec, ToolOrigin("custom", name))
        elif kind == LOCAL_SHELL:
            spec = {
                "name": LOCAL_SHELL,
                "description": _LOCAL_SHELL_DESCRIPTION,
                "parameters": _LOCAL_SHELL_PARAMETERS,
            }
            _add(table, spec, ToolOrigin("local_shell", LOCAL_SHELL))
        elif kind == "mcp":
            # One of this gateway's MCP servers, by `server_label`: the gateway runs its tools
            # (see `tool_loop.py`); it never connects to a `server_url` a caller names.
            table.mcp.append(tool)
        elif kind in HOSTED:
            table.dropped.append(str(kind))
        else:
            raise InvalidRequest(
                f"Invalid value for '{where}.type': {kind!r} is not a tool type.",
                param=f"{where}.type",
            )
    return table


def _add(table: ToolTable, spec: dict[str, Any], origin: ToolOrigin) -> None:
    table.tools.append({"type": "function", "function": spec})
    table.origins[spec["name"]] = origin


def _name(tool: dict[str, Any], where: str) -> str:
    name = tool.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequest(f"Missing required parameter: '{where}.name'.", param=f"{where}.name")
    return name


def _function(tool: dict[str, Any], where: str, namespace: str | None) -> dict[str, Any]:
    name = _name(tool, where)
    spec: dict[str, Any] = {
        "name": chat_name(name, namespace),
        "parameters": tool.get("parameters") or {"type": "object", "properties": {}},
    }
    if tool.get("description"):
        spec["description"] = tool["description"]
    if tool.get("strict") is not None:
        spec["strict"] = tool["strict"]
    return spec


def _namespace(table: ToolTable, tool: dict[str, Any], where: str) -> None:
    namespace = _name(tool, where)
    inner = tool.get("tools")
    if not isinstance(inner, list):
        raise InvalidRequest(
            f"Missing required parameter: '{where}.tools'.", param=f"{where}.tools"
        )
    for j, member in enumerate(inner):
        at = f"{where}.tools[{j}]"
        if not isinstance(member, dict) or member.get("type") != "function":
            raise InvalidRequest(f"A namespace holds function tools only ({at}).", param=at)
        spec = _function(member, at, namespace)
        _add(table, spec, ToolOrigin("function", member["name"], namespace))


def _format(tool: dict[str, Any]) -> str:
    """What the free text must look like, for the model that now sees a string parameter: a
    custom tool's grammar or `text` format, as given."""
    fmt = tool.get("format")
    if isinstance(fmt, dict) and fmt.get("type") == "grammar":
        syntax, definition = fmt.get("syntax", "lark"), fmt.get("definition", "")
        return f"Free text matching this {syntax} grammar:\n{definition}"
    return "Free text."


def chat_tool_choice(choice: str | dict[str, Any] | None, table: ToolTable) -> Any:
    if choice is None or choice in ("auto", "none", "required"):
        return choice
    kind = choice.get("type") if isinstance(choice, dict) else None
    if isinstance(choice, dict) and kind in ("function", "custom"):
        name = chat_name(str(choice.get("name")), choice.get("namespace"))
        if name not in table.origins:
            raise InvalidRequest(
                f"Tool choice '{choice.get('name')}' not found in 'tools' parameter.",
                param="tool_choice",
            )
        return {"type": "function", "function": {"name": name}}
    if kind in HOSTED or kind == LOCAL_SHELL:
        if kind == LOCAL_SHELL and LOCAL_SHELL in table.origins:
            return {"type": "function", "function": {"name": LOCAL_SHELL}}
        raise InvalidRequest(
            f"tool_choice: the hosted tool {kind!r} runs only on OpenAI's side and cannot be "
            "forced here.",
            param="tool_choice",
            code="unsupported_parameter",
        )
    raise InvalidRequest(
        "Invalid value for 'tool_choice': use auto, none, required, a function or a custom tool.",
        param="tool_choice",
    )


# -- the model's calls, both ways -----------------------------------------------------------

CALL_ITEMS = frozenset({"function_call", "custom_tool_call", "local_shell_call"})
OUTPUT_ITEMS = frozenset(
    {"function_call_output", "custom_tool_call_output", "local_shell_call_output"}
)


def call_of(item: dict[str, Any], where: str) -> ToolCall:
    """An input item that is an earlier call (`function_call`, `custom_tool_call`,
    `local_shell_call`) as the chat tool call it was made as."""
    kind = item.get("type")
    call_id = _field(item, "call_id", where)
    if kind == "custom_tool_call":
        name = _field(item, "name", where)
        arguments = msgspec.json.encode({"input": str(item.get("input") or "")}).decode()
    elif kind == "local_shell_call":
        name = LOCAL_SHELL
        action = item.get("action")
        action = action if isinstance(action, dict) else {}
        arguments = msgspec.json.encode({k: v for k, v in action.items() if k != "type"}).decode()
    else:
        name = chat_name(_field(item, "name", where), item.get("namespace"))
        arguments = str(item.get("arguments") or "{}")
    return ToolCall(id=call_id, function=FunctionCall(name, arguments))


def output_call_id(item: dict[str, Any], where: str) -> str:
    # A local shell call's output names its call by `id` in OpenAI's reference, by `call_id`
    # in what Codex sends; either will do.
    if item.get("type") == "local_shell_call_output" and not item.get("call_id"):
        return _field(item, "id", where)
    return _field(item, "call_id", where)


def _field(item: dict[str, Any], name: str, where: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidRequest(
            f"Missing required parameter: '{where}.{name}'.", param=f"{where}.{name}"
        )
    return value


def call_item(origin: ToolOrigin, item_id: str, call_id: str, arguments: str) -> dict[str, Any]:
    """The output item for a finished call, from the chat function's JSON arguments."""
    if origin.kind == "custom":
        value = _arguments(arguments).get("input", arguments)
        text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
        return {
            "type": "custom_tool_call",
            "id": item_id,
            "call_id": call_id,
            "name": origin.name,
            "input": text,
            "status": "completed",
        }
    if origin.kind == "local_shell":
        action = {"type": "exec", "env": {}, **_arguments(arguments)}
        return {
            "type": "local_shell_call",
            "id": item_id,
            "call_id": call_id,
            "action": action,
            "status": "completed",
        }
    item = {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": origin.name,
        "arguments": arguments,
        "status": "completed",
    }
    if origin.namespace:
        item["namespace"] = origin.namespace
    return item


def _arguments(text: str) -> dict[str, Any]:
    try:
        value = msgspec.json.decode(text or "{}")
    except msgspec.DecodeError:
        return {}
    return value if isinstance(value, dict) else {}
