"""Builds Responses API objects and typed stream events from an answer's deltas.

`OutputItems` turns deltas into output items as they come (a `message` item with one
`output_text` part, `function_call` items) and says which events each delta makes:
`response.output_item.added`, `response.content_part.added`, `response.output_text.delta`,
`response.function_call_arguments.delta`, and the matching `.done` events when an item ends.

A call to a `custom` or `local_shell` tool (see `schema/responses_tools.py`) arrives as JSON
arguments of the function it went up as; its item (`custom_tool_call`, `local_shell_call`) is
built when the call ends, so its one `response.custom_tool_call_input.delta` carries the
whole input: a fragment of JSON is not a fragment of the free text inside it.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from switchgear.schema.generation import FINISH_CONTENT_FILTER, FINISH_LENGTH, Delta
from switchgear.schema.responses import ResponsesRequest
from switchgear.schema.responses_tools import ToolOrigin, ToolTable, call_item
from switchgear.trip import Answer

Event = dict[str, Any]
_INCOMPLETE = {FINISH_LENGTH: "max_output_tokens", FINISH_CONTENT_FILTER: "content_filter"}


def item_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


class OutputItems:
    def __init__(self, tools: ToolTable | None = None) -> None:
        self.output: list[dict[str, Any]] = []
        self._open: int | None = None  # the output index of the item still being written
        self._calls: dict[int, int] = {}  # tool call index -> output index
        self._tools = tools or ToolTable()
        self._built: dict[int, tuple[ToolOrigin, list[str]]] = {}  # output index -> pieces
        self.finish: str | None = None

    def feed(self, delta: Delta) -> list[Event]:
        events: list[Event] = []
        if delta.text:
            if self._open is None or self.output[self._open]["type"] != "message":
                events += self._begin(_message_item())
                assert self._open is not None
                part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
                self.output[self._open]["content"].append(part)
                events.append(self._part_event("response.content_part.added", dict(part)))
            assert self._open is not None
            item = self.output[self._open]
            item["content"][0]["text"] += delta.text
            events.append(
                {
                    "type": "response.output_text.delta",
                    "item_id": item["id"],
                    "output_index": self._open,
                    "content_index": 0,
                    "delta": delta.text,
                    "logprobs": [],
                }
            )
        for piece in delta.tool_calls:
            index = self._calls.get(piece.index)
            if index is None:
                origin = self._tools.origin(piece.name or "")
                call = _open_call(origin, piece.id or item_id("call"))
                events += self._begin(call)
                index = self._calls[piece.index] = len(self.output) - 1
                if origin.kind != "function":
                    self._built[index] = (origin, [])
            item = self.output[index]
            if index in self._built:
                self._built[index][1].append(piece.arguments)
            elif piece.arguments:
                item["arguments"] += piece.arguments
                events.append(
                    {
                        "type": "response.function_call_arguments.delta",
                        "item_id": item["id"],
                        "output_index": index,
                        "delta": piece.arguments,
                    }
                )
        if delta.finish_reason is not None:
            self.finish = delta.finish_reason
        return events

    def close(self) -> list[Event]:
        return self._end()

    def status(self) -> str:
        return "incomplete" if self.finish in _INCOMPLETE else "completed"

    def incomplete_details(self) -> dict[str, str] | None:
        reason = _INCOMPLETE.get(self.finish or "")
        return {"reason": reason} if reason else None

    def _begin(self, item: dict[str, Any]) -> list[Event]:
        events = self._end()
        self.output.append(item)
        self._open = len(self.output) - 1
        added = {"type": "response.output_item.added", "output_index": self._open}
        events.append({**added, "item": _snapshot(item)})
        return events

    def _end(self) -> list[Event]:
        if self._open is None:
            return []
        index, self._open = self._open, None
        item = self.output[index]
        events: list[Event] = []
        status = "incomplete" if self.finish in _INCOMPLETE else "completed"
        if item["type"] == "message":
            part = item["content"][0]
            events.append(
                {
                    "type": "response.output_text.done",
                    "item_id": item["id"],
                    "output_index": index,
                    "content_index": 0,
                    "text": part["text"],
                    "logprobs": [],
                }
            )
            events.append(self._part_event("response.content_part.done", dict(part), index))
        elif index in self._built:
            origin, pieces = self._built.pop(index)
            item = self.output[index] = call_item(
                origin, item["id"], item["call_id"], "".join(pieces)
            )
            if item["type"] == "custom_tool_call":
                where = {"item_id": item["id"], "output_index": index}
                delta = {"type": "response.custom_tool_call_input.delta", "delta": item["input"]}
                done = {"type": "response.custom_tool_call_input.done", "input": item["input"]}
                events += [{**delta, **where}, {**done, **where}]
        else:
            events.append(
                {
                    "type": "response.function_call_arguments.done",
                    "item_id": item["id"],
                    "output_index": index,
                    "name": item["name"],
                    "arguments": item["arguments"],
                }
            )
        item["status"] = status
        done = {"type": "response.output_item.done", "output_index": index}
        events.append({**done, "item": _snapshot(item)})
        return events

    def _part_event(self, kind: str, part: dict[str, Any], index: int | None = None) -> Event:
        at = self._open if index is None else index
        assert at is not None
        item = self.output[at]
        return {
            "type": kind,
            "item_id": item["id"],
            "output_index": at,
            "content_index": 0,
            "part": part,
        }


def _open_call(origin: ToolOrigin, call_id: str) -> dict[str, Any]:
    """A call's item as it opens: a function call grows as its arguments stream; the other
    kinds are filled in when the call ends."""
    if origin.kind == "custom":
        return {
            "type": "custom_tool_call",
            "id": item_id("ctc"),
            "call_id": call_id,
            "name": origin.name,
            "input": "",
            "status": "in_progress",
        }
    if origin.kind == "local_shell":
        return {
            "type": "local_shell_call",
            "id": item_id("lsh"),
            "call_id": call_id,
            "action": {"type": "exec", "command": [], "env": {}},
            "status": "in_progress",
        }
    call = {
        "type": "function_call",
        "id": item_id("fc"),
        "call_id": call_id,
        "name": origin.name,
        "arguments": "",
        "status": "in_progress",
    }
    if origin.namespace:
        call["namespace"] = origin.namespace
    return call


def _message_item() -> dict[str, Any]:
    return {
        "type": "message",
        "id": item_id("msg"),
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }


def _snapshot(item: dict[str, Any]) -> dict[str, Any]:
    """The item as it is now: later deltas must not change an event already built."""
    copied = dict(item)
    if "content" in copied:
        copied["content"] = [dict(part) for part in copied["content"]]
    return copied


def usage_body(answer: Answer) -> dict[str, Any]:
    usage = answer.usage()
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.total_tokens,
    }


def response_object(
    response_id: str,
    request: ResponsesRequest,
    model: str,
    status: str,
    output: list[dict[str, Any]],
    *,
    usage: dict[str, Any] | None = None,
    incomplete: dict[str, str] | None = None,
    error: dict[str, Any] | None = None,
    created_at: float | None = None,
) -> dict[str, Any]:
    text_format: dict[str, Any] = {"type": "text"}
    if request.text is not None and request.text.format is not None:
        fmt = request.text.format
        text_format = {
            k: v
            for k, v in (
                ("type", fmt.type),
                ("name", fmt.name),
                ("schema", fmt.schema),
                ("description", fmt.description),
                ("strict", fmt.strict),
            )
            if v is not None
        }
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(created_at or time.time()),
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": incomplete,
        "instructions": request.instructions,
        "max_output_tokens": request.max_output_tokens,
        "max_tool_calls": request.max_tool_calls,
        "model": model,
        "output": output,
        "parallel_tool_calls": request.parallel_tool_calls is not False,
        "previous_response_id": request.previous_response_id,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": request.store is not False,
        "temperature": 1.0 if request.temperature is None else request.temperature,
        "text": {"format": text_format, "verbosity": "medium"},
        "tool_choice": request.tool_choice or "auto",
        "tools": request.tools or [],
        "top_logprobs": 0,
        "top_p": 1.0 if request.top_p is None else request.top_p,
        "truncation": request.truncation or "disabled",
        "usage": usage,
        "user": request.user,
        "metadata": request.metadata or {},
    }
