"""A scripted upstream that drives a coding agent (Claude Code, Codex) through one tool call,
in both wire formats: Anthropic Messages (``POST /v1/messages``) and OpenAI Chat Completions
(``POST /v1/chat/completions``), each streamed (SSE) or whole, as the request asks.

The script (`AgentScript`) names the tool to call and its arguments. Each request is answered
by looking only at the request itself, as a stateless model would:

- the last message carries a tool result (an Anthropic user turn with ``tool_result`` blocks,
  or an OpenAI ``role: tool`` message): the final answer, ``"<final> <tool result text>"``, so
  a test sees that the tool's real output came back;
- otherwise, when the request offers a tool of a scripted name (the first of `tools` that is
  offered): a call to it with the scripted arguments;
- otherwise (the agents' side requests: titles, summaries, quota probes): `plain` text.

Agents send tools in the hundreds of lines and fields the other fakes do not know; this one
accepts any body that has the documented required fields and records every request in its
`FakeBehaviour`, so a test can assert what the agent sent. Usage counts words, like the
other fakes. Faults are not injected here: the other fakes cover them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._shared import (
    SSEEvent,
    count_tokens,
    dumps,
    json_response,
    new_id,
    read_request,
    split_json,
    sse_response,
    word_pieces,
)
from .behaviour import FakeBehaviour


@dataclass
class AgentScript:
    """What the scripted model does; `tools` are tried in order, the first offered is called."""

    tools: Sequence[str]
    arguments: dict[str, Any] = field(default_factory=dict)
    final: str = "Done."
    plain: str = "Agent task"


@dataclass(frozen=True)
class _Turn:
    """The scripted decision for one request: a call (`tool`), or text."""

    tool: str | None = None
    arguments: str = ""
    text: str = ""


def _decide(script: AgentScript, offered: Sequence[str], result: str | None) -> _Turn:
    if result is not None:
        return _Turn(text=f"{script.final} {result.strip()}".strip())
    for name in script.tools:
        if name in offered:
            return _Turn(tool=name, arguments=dumps(script.arguments))
    return _Turn(text=script.plain)


def _key(request: Request) -> str | None:
    if key := request.headers.get("x-api-key"):
        return key
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


# -- Anthropic Messages ---------------------------------------------------------------------


def _anthropic_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    texts: list[str] = []
    for block in content if isinstance(content, list) else []:
        if isinstance(block, dict) and block.get("type") == "text":
            texts.append(str(block.get("text", "")))
        elif isinstance(block, dict) and block.get("type") == "tool_result":
            texts.append(_anthropic_text(block.get("content", "")))
    return " ".join(texts)


def _anthropic_result(messages: list[Any]) -> str | None:
    last = messages[-1] if messages else {}
    content = last.get("content") if isinstance(last, dict) else None
    if last.get("role") != "user" or not isinstance(content, list):
        return None
    results = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
    return " ".join(_anthropic_text(b.get("content", "")) for b in results) if results else None


def _anthropic_error(status: int, kind: str, message: str) -> Response:
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return Response(dumps(body), status, media_type="application/json")


def _anthropic_frame(payload: dict[str, Any]) -> SSEEvent:
    return SSEEvent(f"event: {payload['type']}\ndata: {dumps(payload)}\n\n", True)


def _anthropic_answer(body: dict[str, Any], turn: _Turn) -> Response:
    messages = body["messages"]
    usage = {
        "input_tokens": sum(count_tokens(_anthropic_text(m.get("content"))) for m in messages),
        "output_tokens": count_tokens(turn.text or f"{turn.tool} {turn.arguments}"),
    }
    if turn.tool is not None:
        block: dict[str, Any] = {
            "type": "tool_use",
            "id": new_id("toolu_01", 22),
            "name": turn.tool,
            "input": json.loads(turn.arguments),
        }
        deltas = [
            {"type": "input_json_delta", "partial_json": piece}
            for piece in ["", *split_json(turn.arguments)]
        ]
        stop = "tool_use"
    else:
        block = {"type": "text", "text": turn.text}
        deltas = [{"type": "text_delta", "text": piece} for piece in word_pieces(turn.text)]
        stop = "end_turn"
    message: dict[str, Any] = {
        "id": new_id("msg_01", 22),
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": [block],
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage,
    }
    if body.get("stream") is not True:
        return json_response(message, "ok")
    opened = {**block, "input": {}} if turn.tool is not None else {**block, "text": ""}
    start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    frames = [
        _anthropic_frame({"type": "message_start", "message": start}),
        _anthropic_frame({"type": "content_block_start", "index": 0, "content_block": opened}),
        _anthropic_frame({"type": "ping"}),
        *(
            _anthropic_frame({"type": "content_block_delta", "index": 0, "delta": delta})
            for delta in deltas
        ),
        _anthropic_frame({"type": "content_block_stop", "index": 0}),
        _anthropic_frame(
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": usage["output_tokens"]},
            }
        ),
        _anthropic_frame({"type": "message_stop"}),
    ]
    return sse_response(frames, "ok", "", 0.0)


# -- OpenAI Chat Completions ----------------------------------------------------------------


def _openai_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else []
    return " ".join(str(p.get("text", "")) for p in parts if isinstance(p, dict))


def _openai_tools(tools: Any) -> list[str]:
    names: list[str] = []
    for tool in tools if isinstance(tools, list) else []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.append(function["name"])
    return names


def _openai_answer(body: dict[str, Any], turn: _Turn) -> Response:
    messages = body["messages"]
    created, call_id = int(time.time()), new_id("chatcmpl-", 29)
    usage = {
        "prompt_tokens": sum(count_tokens(_openai_text(m.get("content"))) for m in messages),
        "completion_tokens": count_tokens(turn.text or f"{turn.tool} {turn.arguments}"),
    }
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]

    def chunk(choices: list[dict[str, Any]], obj: str, **extra: Any) -> dict[str, Any]:
        head = {"id": call_id, "object": obj, "created": created, "model": body["model"]}
        return {**head, "choices": choices, **extra}

    if turn.tool is not None:
        call: dict[str, Any] = {
            "id": new_id("call_", 24),
            "type": "function",
            "function": {"name": turn.tool, "arguments": turn.arguments},
        }
        message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call]}
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": turn.text}
        finish = "stop"
    if body.get("stream") is not True:
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
        return json_response(chunk([choice], "chat.completion", usage=usage), "ok")

    def delta(piece: dict[str, Any], reason: str | None = None) -> SSEEvent:
        choice = {"index": 0, "delta": piece, "logprobs": None, "finish_reason": reason}
        return SSEEvent(f"data: {dumps(chunk([choice], 'chat.completion.chunk'))}\n\n", True)

    frames: list[SSEEvent] = []
    if turn.tool is not None:
        opening = {"index": 0, "id": call["id"], "type": "function"}
        opening["function"] = {"name": turn.tool, "arguments": ""}
        frames.append(delta({"role": "assistant", "content": None, "tool_calls": [opening]}))
        for piece in split_json(turn.arguments):
            frames.append(delta({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
    else:
        frames.append(delta({"role": "assistant", "content": ""}))
        frames += [delta({"content": piece}) for piece in word_pieces(turn.text)]
    frames.append(delta({}, finish))
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage") is True:
        frames.append(
            SSEEvent(f"data: {dumps(chunk([], 'chat.completion.chunk', usage=usage))}\n\n")
        )
    frames.append(SSEEvent("data: [DONE]\n\n"))
    return sse_response(frames, "ok", "", 0.0)


def create_agent_fake(behaviour: FakeBehaviour, script: AgentScript) -> Starlette:
    """Both wire formats on one server; `script` may be changed between requests."""

    async def messages(request: Request) -> Response:
        recorded = await read_request(request, behaviour)
        if _key(request) != behaviour.api_key:
            return _anthropic_error(401, "authentication_error", "invalid x-api-key")
        body = recorded["json"]
        if not isinstance(body, dict) or not body.get("messages") or "max_tokens" not in body:
            return _anthropic_error(400, "invalid_request_error", "model, messages, max_tokens")
        tools = body.get("tools") if isinstance(body.get("tools"), list) else []
        offered = [str(t.get("name")) for t in tools if isinstance(t, dict)]
        turn = _decide(script, offered, _anthropic_result(body["messages"]))
        return _anthropic_answer(body, turn)

    async def chat_completions(request: Request) -> Response:
        recorded = await read_request(request, behaviour)
        if _key(request) != behaviour.api_key:
            error = {"message": "Incorrect API key provided.", "type": "invalid_request_error"}
            return Response(dumps({"error": error}), 401, media_type="application/json")
        body = recorded["json"]
        if not isinstance(body, dict) or not body.get("messages") or not body.get("model"):
            error = {"message": "model and messages are required", "type": "invalid_request_error"}
            return Response(dumps({"error": error}), 400, media_type="application/json")
        last = body["messages"][-1]
        result = _openai_text(last.get("content")) if last.get("role") == "tool" else None
        turn = _decide(script, _openai_tools(body.get("tools")), result)
        return _openai_answer(body, turn)

    return Starlette(
        routes=[
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        ]
    )
