"""The gateway's own tool loop: a chat request that names MCP servers among its tools
(`{"type": "mcp", "server_label": "everything", "allowed_tools": ["echo"]}`) has those
servers' tools offered to the model as functions, and the gateway runs every call the model
makes to one of them, feeding each result back, until the model answers.

Every step is a trip of its own, charged to the caller: the tool listing, each generation and
each tool call are admitted, guarded (tool results are screened for injected instructions
like any retrieved text) and ledgered. The loop is bounded: after `max_steps` rounds of
calls the model is asked to answer without tools.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from switchgear.governance.keys import Identity
from switchgear.mcp.access import split_name
from switchgear.mcp.errors import ToolFailed
from switchgear.mcp.service import openai_tool
from switchgear.schema.errors import GatewayError, InvalidRequest
from switchgear.schema.generation import Delta, Usage
from switchgear.schema.messages import FunctionCall, Message, ToolCall
from switchgear.schema.requests import ChatCompletionRequest
from switchgear.trip import Answer

if TYPE_CHECKING:
    from switchgear.gateway import Gateway

DEFAULT_MAX_STEPS = 8


@dataclass(slots=True)
class McpCall:
    """One call the loop made, as the Responses door reports it (an `mcp_call` item)."""

    server: str
    tool: str
    arguments: str
    output: str | None = None
    error: str | None = None


@dataclass(slots=True)
class LoopResult:
    answer: Answer  # the final step's answer, to iterate like any other (already ledgered)
    # server -> the MCP tools offered from it, under their own (unprefixed) names
    listed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[McpCall] = field(default_factory=list)


def names_mcp_servers(chat: ChatCompletionRequest) -> bool:
    return any(tool.get("type") == "mcp" for tool in chat.tools or ())


async def run_with_mcp(
    gateway: Gateway, chat: ChatCompletionRequest, secret: str | None, door: str | None = None
) -> LoopResult:
    if chat.n is not None and chat.n > 1:
        # Each step feeds one answer's tool calls back; n answers would be n loops.
        raise InvalidRequest(
            "`n` > 1 cannot be combined with MCP tools the gateway runs; ask for one choice.",
            param="n",
            code="unsupported_parameter",
        )
    identity = gateway.governor.identify(secret)
    tools = chat.tools or []
    references = [t for t in tools if t.get("type") == "mcp"]
    own = [t for t in tools if t.get("type") != "mcp"]
    listed: dict[str, list[dict[str, Any]]] = {}
    made: list[McpCall] = []
    functions = await _offered(gateway, identity, references, listed)
    offered = {f["function"]["name"] for f in functions}
    messages = list(chat.messages)
    spent = Usage(0, 0)
    max_steps = gateway.config.mcp.max_tool_steps
    for step in range(max_steps + 1):
        last = step == max_steps
        step_chat = msgspec.structs.replace(
            chat,
            messages=messages,
            tools=[*own, *functions] or None,
            tool_choice="none" if last else chat.tool_choice,
            stream=False,
            stream_options=None,
        )
        answer = await gateway.pipeline.run(step_chat, secret, door=door)
        deltas = [delta async for delta in answer.deltas()]
        await answer.recorded()
        used = answer.usage()
        spent = Usage(
            spent.prompt_tokens + used.prompt_tokens,
            spent.completion_tokens + used.completion_tokens,
        )
        text, calls = _assembled(deltas)
        ours = [call for call in calls if call.function.name in offered]
        # An answer, or calls the client must run itself (its own tools): the loop ends.
        if last or not ours or len(ours) < len(calls):
            return LoopResult(_replayed(answer, deltas, spent), listed, made)
        messages.append(Message(role="assistant", content=text or None, tool_calls=calls))
        for call in ours:
            output = await _run_call(gateway, identity, call, made)
            messages.append(Message(role="tool", tool_call_id=call.id, content=output))
    raise AssertionError("unreachable: the last step answers without tools")


async def _offered(
    gateway: Gateway,
    identity: Identity,
    references: list[dict[str, Any]],
    listed: dict[str, list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """The MCP tools the request names, as function tools (one listing trip)."""
    separator = gateway.config.mcp.separator
    wanted: dict[str, set[str] | None] = {}
    for k, reference in enumerate(references):
        label = reference.get("server_label")
        if label not in gateway.config.mcp.servers:
            known = ", ".join(sorted(gateway.config.mcp.servers)) or "none"
            raise InvalidRequest(
                f"Unknown MCP server {label!r}; this gateway's servers: {known}.",
                param=f"tools[{k}].server_label",
            )
        if reference.get("require_approval") not in (None, "never"):
            raise InvalidRequest(
                "Approval requests are not supported: the caller's key decides which tools "
                "it may call (use require_approval: never).",
                param=f"tools[{k}].require_approval",
                code="unsupported_parameter",
            )
        allowed = reference.get("allowed_tools")
        wanted[str(label)] = set(allowed) if isinstance(allowed, list) else None
    functions: list[dict[str, Any]] = []
    for tool in await gateway.mcp.list_tools(identity):
        split = split_name(tool["name"], separator)
        if split is None or split[0] not in wanted:
            continue
        server, name = split
        allowed_names = wanted[server]
        if allowed_names is not None and name not in allowed_names:
            continue
        listed.setdefault(server, []).append({**tool, "name": name})
        functions.append(openai_tool(tool))
    return functions


async def _run_call(
    gateway: Gateway, identity: Identity, call: ToolCall, made: list[McpCall]
) -> str:
    """Runs one call; what the model reads back, a failure included (it may recover)."""
    server, tool = split_name(call.function.name, gateway.config.mcp.separator) or ("", "")
    record = McpCall(server, tool, call.function.arguments)
    made.append(record)
    try:
        arguments = msgspec.json.decode(call.function.arguments or "{}")
        if not isinstance(arguments, dict):
            raise InvalidRequest("Tool arguments must be a JSON object.")
        outcome = await gateway.mcp.call(identity, call.function.name, arguments)
    except msgspec.DecodeError:
        record.error = "The arguments were not valid JSON."
    except ToolFailed as failed:
        record.error = result_text(failed.result) or failed.message
    except GatewayError as error:
        record.error = error.message
    else:
        record.output = result_text(outcome)
        return record.output
    return f"Error: {record.error}"


def result_text(result: dict[str, Any]) -> str:
    """An MCP tool result as text for the model: its text blocks, else its structured content."""
    texts = [
        str(block.get("text", ""))
        for block in result.get("content") or ()
        if isinstance(block, dict) and block.get("type") == "text"
    ]
    if texts:
        return "\n".join(texts)
    structured = result.get("structuredContent")
    return msgspec.json.encode(structured).decode() if structured is not None else ""


def _assembled(deltas: list[Delta]) -> tuple[str, list[ToolCall]]:
    text = "".join(delta.text for delta in deltas if delta.index == 0)
    pieces: dict[int, dict[str, str]] = {}
    for delta in deltas:
        for piece in delta.tool_calls:
            call = pieces.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
            call["id"] = piece.id or call["id"]
            call["name"] += piece.name or ""
            call["arguments"] += piece.arguments
    calls = [
        ToolCall(id=c["id"] or f"call_{i}", function=FunctionCall(c["name"], c["arguments"]))
        for i, c in sorted(pieces.items())
    ]
    return text, calls


def _replayed(answer: Answer, deltas: list[Delta], spent: Usage) -> Answer:
    """The final step's answer again, for the door to format (it has been consumed and
    ledgered already), its usage the whole loop's: what the caller was charged."""
    trip = dataclasses.replace(answer.trip, prompt_tokens=0, completion_tokens=0)
    final = [dataclasses.replace(d, usage=spent) if d.usage is not None else d for d in deltas]
    if not any(d.usage is not None for d in final):
        final.append(Delta(finish_reason="stop", usage=spent))
    return Answer(final[0], final[1:], trip, lambda _trip, _outcome: None)
