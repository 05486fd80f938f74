"""Builds Anthropic Messages API bodies, stream events and errors from an answer's deltas.

One `ContentBlocks` turns deltas into content blocks as they come: the streamed answer
sends its events, the whole answer keeps its snapshot. The stream follows the documented
sequence: `message_start`, then for each block `content_block_start`, its
`content_block_delta`s (`text_delta` or `input_json_delta`) and `content_block_stop`, a
`ping` after the first block opens, then `message_delta` (stop reason, usage) and
`message_stop`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from switchgear.schema.errors import GatewayError
from switchgear.schema.generation import (
    FINISH_CONTENT_FILTER,
    FINISH_LENGTH,
    FINISH_STOP,
    FINISH_TOOL_CALLS,
    Delta,
)
from switchgear.trip import Answer

_encode = msgspec.json.encode
_STOP_REASONS = {
    FINISH_STOP: "end_turn",
    FINISH_LENGTH: "max_tokens",
    FINISH_TOOL_CALLS: "tool_use",
    FINISH_CONTENT_FILTER: "refusal",
}
# Anthropic's error types by status; the SDKs pick their exception class by status.
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    415: "invalid_request_error",
    429: "rate_limit_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def event(name: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + _encode(payload) + b"\n\n"


def error_body(error: GatewayError, request_id: str | None = None) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(error.status, "api_error" if error.status >= 500 else None)
    message = error.message
    if error.param and error.param not in message:
        message = f"{error.param}: {message}"
    return {
        "type": "error",
        "error": {"type": kind or "invalid_request_error", "message": message},
        "request_id": request_id or f"req_{uuid.uuid4().hex}",
    }


def usage_body(answer: Answer) -> dict[str, int]:
    return {
        "input_tokens": answer.trip.prompt_tokens,
        "output_tokens": answer.trip.completion_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


class ContentBlocks:
    """The content blocks of one answer, built from its deltas (choice 0: the Messages API
    has one answer per request)."""

    def __init__(self) -> None:
        self.content: list[dict[str, Any]] = []
        self._arguments: dict[int, list[str]] = {}  # block index -> input JSON pieces
        self._tools: dict[int, int] = {}  # tool call index -> block index
        self._open: int | None = None
        self.finish: str | None = None
        self.stop_sequence: str | None = None

    def feed(self, delta: Delta) -> list[bytes]:
        events: list[bytes] = []
        if delta.text:
            if self._open is None or self.content[self._open]["type"] != "text":
                events += self._start({"type": "text", "text": ""})
            assert self._open is not None
            self.content[self._open]["text"] += delta.text
            events.append(self._delta(self._open, {"type": "text_delta", "text": delta.text}))
        for piece in delta.tool_calls:
            index = self._tools.get(piece.index)
            if index is None:
                call_id = piece.id or f"toolu_{uuid.uuid4().hex[:24]}"
                block = {"type": "tool_use", "id": call_id, "name": piece.name or "", "input": {}}
                events += self._start(block)
                index = self._tools[piece.index] = len(self.content) - 1
            elif piece.name and not self.content[index]["name"]:
                self.content[index]["name"] = piece.name
            if piece.arguments:
                self._arguments.setdefault(index, []).append(piece.arguments)
                json_delta = {"type": "input_json_delta", "partial_json": piece.arguments}
                events.append(self._delta(index, json_delta))
        if delta.finish_reason is not None:
            self.finish = delta.finish_reason
            self.stop_sequence = delta.stop_sequence
        return events

    def close(self) -> list[bytes]:
        """Ends the open block; fills each tool_use block's `input` from its JSON pieces."""
        events = self._stop()
        for index, pieces in self._arguments.items():
            self.content[index]["input"] = _json_object("".join(pieces))
        self._arguments.clear()
        return events

    def stop_reason(self) -> str:
        if self.stop_sequence:
            return "stop_sequence"
        return _STOP_REASONS.get(self.finish or FINISH_STOP, "end_turn")

    def _start(self, block: dict[str, Any]) -> list[bytes]:
        events = self._stop()
        self.content.append(block)
        self._open = len(self.content) - 1
        opened = {"type": "content_block_start", "index": self._open, "content_block": block}
        events.append(event("content_block_start", _copy(opened)))
        return events

    def _stop(self) -> list[bytes]:
        if self._open is None:
            return []
        index, self._open = self._open, None
        return [event("content_block_stop", {"type": "content_block_stop", "index": index})]

    def _delta(self, index: int, delta: dict[str, Any]) -> bytes:
        body = {"type": "content_block_delta", "index": index, "delta": delta}
        return event("content_block_delta", body)


def _copy(payload: dict[str, Any]) -> dict[str, Any]:
    # The start event shows the block as it was when it opened, not as it grows.
    block = dict(payload["content_block"])
    return {**payload, "content_block": block}


def _json_object(text: str) -> Any:
    """A tool call's input. A model that wrote something other than a JSON object still gets
    its text through, under `_raw`, rather than a request that fails after the fact."""
    try:
        value = msgspec.json.decode(text or "{}")
    except msgspec.DecodeError:
        return {"_raw": text}
    return value if isinstance(value, dict) else {"_raw": text}


def message_id(answer: Answer) -> str:
    return f"msg_{answer.trip.request_id}"


async def message_body(answer: Answer) -> dict[str, Any]:
    blocks = ContentBlocks()
    async for delta in answer.deltas():
        blocks.feed(delta)
    blocks.close()
    await answer.recorded()
    return {
        "id": message_id(answer),
        "type": "message",
        "role": "assistant",
        "model": answer.target.model_id,
        "content": blocks.content,
        "stop_reason": blocks.stop_reason(),
        "stop_sequence": blocks.stop_sequence,
        "usage": usage_body(answer),
    }


async def message_events(answer: Answer) -> AsyncIterator[bytes]:
    start: dict[str, Any] = {
        "id": message_id(answer),
        "type": "message",
        "role": "assistant",
        "model": answer.target.model_id,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        # The exact count comes with `message_delta`; this is the admission estimate.
        "usage": {"input_tokens": answer.trip.prompt_estimate, "output_tokens": 0},
    }
    yield event("message_start", {"type": "message_start", "message": start})
    blocks = ContentBlocks()
    pinged = False
    try:
        async for delta in answer.deltas():
            for out in blocks.feed(delta):
                yield out
                if not pinged:
                    pinged = True
                    yield event("ping", {"type": "ping"})
    except GatewayError as error:
        yield event("error", error_body(error, answer.trip.request_id))
        return
    for out in blocks.close():
        yield out
    if not pinged:
        yield event("ping", {"type": "ping"})
    await answer.recorded()
    stop = {"stop_reason": blocks.stop_reason(), "stop_sequence": blocks.stop_sequence}
    yield event(
        "message_delta", {"type": "message_delta", "delta": stop, "usage": usage_body(answer)}
    )
    yield event("message_stop", {"type": "message_stop"})
