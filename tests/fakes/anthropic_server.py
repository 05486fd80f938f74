"""A fake Anthropic upstream serving the Messages API (``POST /v1/messages``).

The answer is scripted: ``"[system:yes] fake-anthropic says: "`` (``no`` when the request had
no ``system``) followed by the text of the last user message, tool results included. Usage
counts whitespace-separated words and a stream sends one word per ``text_delta``, so streamed
and non-streamed usage agree. With ``tools`` the fake answers with one ``tool_use`` block
(input ``{"city": "Paris"}``) when the last user message is a question mentioning the weather,
or when ``tool_choice`` is ``any`` or names a tool.

The key is read from ``x-api-key`` (the documented header) or ``Authorization: Bearer`` (what
the 2.x SDKs send). ``anthropic-version`` must be ``2023-06-01`` or ``2026-10-21``; like the
real API, the latter rejects ``temperature``, ``top_p`` and ``top_k`` with a 400.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._shared import (
    Completion,
    SSEEvent,
    complete,
    count_tokens,
    dumps,
    early_fault,
    json_response,
    new_id,
    pick_tool,
    read_request,
    split_json,
    sse_response,
    word_pieces,
)
from .behaviour import FakeBehaviour, Mode

ANSWER_PREFIX = "fake-anthropic says: "
TOOL_INPUT = {"city": "Paris"}
# 2023-06-01 introduced the named-event stream served here; 2026-10-21 is what the 2.x SDKs send.
SUPPORTED_VERSIONS = ("2023-06-01", "2026-10-21")
_REMOVED_IN_2026 = ("temperature", "top_p", "top_k")
_GARBAGE = 'event: content_block_delta\ndata: {"type": "content_block_delta", not json\n\n'
_STOP_REASONS = {"end": "end_turn", "length": "max_tokens", "stop_sequence": "stop_sequence"}


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": new_id("req_", 24),
    }
    return Response(dumps(body), status, headers, "application/json")


def _invalid(message: str) -> Response:
    return _error(400, "invalid_request_error", message)


class _AnthropicErrors:
    def refused(self) -> Response:
        message = "mode 'refuse' cannot be served; use serve.closed_port_url()"
        return _error(501, "fake_error", message)

    def server_error(self) -> Response:
        return _error(500, "api_error", "Internal server error")

    def rate_limited(self, retry_after: int) -> Response:
        message = (
            "This request would exceed the rate limit for your organization of 50 requests "
            "per minute. Please try again later."
        )
        return _error(429, "rate_limit_error", message, {"retry-after": str(retry_after)})


def _presented_key(request: Request) -> str | None:
    # x-api-key is the documented header; the 2.x SDKs send Authorization: Bearer instead.
    # When both arrive the API goes by x-api-key.
    if key := request.headers.get("x-api-key"):
        return key
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _text_of(content: Any) -> str:
    """Text of a string or of content blocks, tool results included, other blocks skipped."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = []
    for block in content:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            texts.append(str(block.get("text", "")))
        elif block.get("type") == "tool_result":
            texts.append(_text_of(block.get("content", "")))
    return " ".join(texts)


def _has_tool_result(content: Any) -> bool:
    return isinstance(content, list) and any(
        isinstance(block, dict) and block.get("type") == "tool_result" for block in content
    )


def _validate(body: Any, version: str) -> Response | None:
    """The documented required fields; messages follow the real API's `field: problem` style."""
    if not isinstance(body, dict):
        return _invalid("There was an issue with the format or content of your request.")
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            return _invalid(f"{name}: Field required")
    if version == "2026-10-21":
        for name in _REMOVED_IN_2026:
            if name in body:  # rejected even at default values
                return _invalid(f"{name}: Extra inputs are not permitted")
    max_tokens = body["max_tokens"]
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        return _invalid("max_tokens: Input should be a valid integer")
    if max_tokens < 1:
        return _invalid("max_tokens: Input should be greater than or equal to 1")
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        return _invalid("messages: at least one message is required")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            return _invalid(f"messages.{index}.role: Input should be 'user' or 'assistant'")
    return None


def _tool_to_call(body: dict[str, Any], question: str | None) -> str | None:
    tools = body.get("tools")
    names = [
        str(tool["name"])
        for tool in (tools if isinstance(tools, list) else [])
        if isinstance(tool, dict) and "name" in tool
    ]
    tool_choice = body.get("tool_choice")
    choice = tool_choice if isinstance(tool_choice, dict) else {"type": "auto"}
    forced = str(choice.get("name")) if choice.get("type") == "tool" else None
    return pick_tool(names, str(choice.get("type", "auto")), forced, question)


def _frame(payload: dict[str, Any], content: bool = False) -> SSEEvent:
    # Every event is named after its `type`; the SDKs skip frames without an event name.
    return SSEEvent(f"event: {payload['type']}\ndata: {dumps(payload)}\n\n", content)


class _Reply:
    """One authorised request being answered."""

    def __init__(self, body: dict[str, Any], mode: Mode, delay: float) -> None:
        self.id = new_id("msg_01", 22)
        self.model = str(body["model"])
        self.stream = body.get("stream") is True
        self.mode = mode
        self.delay = delay
        self.headers = {"request-id": new_id("req_", 24)}
        messages: list[dict[str, Any]] = body["messages"]
        system = _text_of(body.get("system"))
        self.input_tokens = count_tokens(system) + sum(
            count_tokens(_text_of(m.get("content"))) for m in messages
        )
        users = [m for m in messages if m.get("role") == "user"]
        self.echo = _text_of(users[-1].get("content")) if users else ""
        last = messages[-1]
        fresh = last.get("role") == "user" and not _has_tool_result(last.get("content"))
        self.question = self.echo if fresh else None
        self.marker = "[system:yes] " if system.strip() else "[system:no] "

    def message(
        self, content: list[dict[str, Any]], stop_reason: str | None, stop: str | None, out: int
    ) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": stop,
            "usage": {"input_tokens": self.input_tokens, "output_tokens": out},
        }

    def finish(
        self,
        block: dict[str, Any],
        deltas: list[dict[str, Any]],
        stop_reason: str,
        stop: str | None,
        out: int,
    ) -> Response:
        """The whole message, or the stream that builds it from `block` and its `deltas`."""
        if not self.stream:
            body = self.message([block], stop_reason, stop, out)
            return json_response(body, self.mode, headers=self.headers)
        # message_start reports output_tokens 1, like the real API; message_delta's are totals.
        start = self.message([], None, None, 1)
        empty = {**block, "input": {}} if block["type"] == "tool_use" else {**block, "text": ""}
        frames = [
            _frame({"type": "message_start", "message": start}),
            _frame({"type": "content_block_start", "index": 0, "content_block": empty}),
            _frame({"type": "ping"}),
        ]
        for delta in deltas:
            has_content = bool(delta.get("text") or delta.get("partial_json"))
            frames.append(
                _frame({"type": "content_block_delta", "index": 0, "delta": delta}, has_content)
            )
        message_delta = {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": stop},
            "usage": {"output_tokens": out},
        }
        frames += [
            _frame({"type": "content_block_stop", "index": 0}),
            _frame(message_delta),
            _frame({"type": "message_stop"}),
        ]
        return sse_response(frames, self.mode, _GARBAGE, self.delay, self.headers)


def _answer(reply: _Reply, body: dict[str, Any]) -> Response:
    tool = _tool_to_call(body, reply.question)
    if tool is not None:
        arguments = json.dumps(TOOL_INPUT)
        tool_id = new_id("toolu_01", 22)
        block = {"type": "tool_use", "id": tool_id, "name": tool, "input": TOOL_INPUT}
        # The real stream opens a tool block with an empty fragment before the arguments.
        pieces = ["", *split_json(arguments)]
        deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in pieces]
        out = count_tokens(f"{tool} {arguments}")
        return reply.finish(block, deltas, "tool_use", None, out)
    stops = body.get("stop_sequences")
    stops = [s for s in stops if isinstance(s, str)] if isinstance(stops, list) else []
    answer: Completion = complete(
        reply.marker + ANSWER_PREFIX + reply.echo, body["max_tokens"], stops
    )
    block = {"type": "text", "text": answer.text}
    deltas = [{"type": "text_delta", "text": piece} for piece in word_pieces(answer.text)]
    out = count_tokens(answer.text)
    return reply.finish(block, deltas, _STOP_REASONS[answer.kind], answer.stop_sequence, out)


def create_anthropic_fake(behaviour: FakeBehaviour) -> Starlette:
    """An Anthropic upstream whose faults and key come from `behaviour`."""

    async def messages(request: Request) -> Response:
        recorded = await read_request(request, behaviour)
        key = _presented_key(request)
        if not key:
            return _error(401, "authentication_error", "x-api-key header is required")
        if key != behaviour.api_key:
            return _error(401, "authentication_error", "invalid x-api-key")
        version = request.headers.get("anthropic-version")
        if not version:
            return _invalid("anthropic-version: header is required")
        if version not in SUPPORTED_VERSIONS:
            return _invalid(f"anthropic-version: invalid version '{version}'")
        mode = behaviour.take_fault()
        fault = await early_fault(mode, request, behaviour, _AnthropicErrors())
        if fault is not None:
            return fault
        body = recorded["json"]
        invalid = _validate(body, version)
        if invalid is not None:
            return invalid
        return _answer(_Reply(body, mode, behaviour.chunk_delay), body)

    async def not_found(request: Request, exc: Exception) -> Response:
        return _error(404, "not_found_error", "Not Found")

    return Starlette(
        routes=[Route("/v1/messages", messages, methods=["POST"])],
        exception_handlers={404: not_found, 405: not_found},
    )
