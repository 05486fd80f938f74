"""Builds OpenAI response bodies and stream chunks from an answer's deltas."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from switchgear.api.sse import DONE, sse_event
from switchgear.knowledge.cite import citations_body
from switchgear.schema.errors import GatewayError
from switchgear.schema.generation import Delta, ToolCallDelta
from switchgear.trip import Answer

_encode = msgspec.json.encode


class ChoiceText:
    """Accumulates the text and finish reason of each choice of a non-streamed answer."""

    def __init__(self) -> None:
        self.texts: dict[int, list[str]] = {}
        self.finish: dict[int, str | None] = {}
        self.tool_calls: dict[int, dict[int, dict[str, Any]]] = {}

    def add(self, delta: Delta) -> None:
        self.texts.setdefault(delta.index, []).append(delta.text)
        if delta.finish_reason is not None:
            self.finish[delta.index] = delta.finish_reason
        for piece in delta.tool_calls:
            calls = self.tool_calls.setdefault(delta.index, {})
            call = calls.setdefault(
                piece.index,
                {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
            )
            if piece.id:
                call["id"] = piece.id
            if piece.name:
                call["function"]["name"] += piece.name
            call["function"]["arguments"] += piece.arguments

    def message(self, index: int, text: str) -> dict[str, Any]:
        calls = self.tool_calls.get(index)
        message: dict[str, Any] = {
            "role": "assistant",
            "content": text if text or not calls else None,
            "refusal": None,
        }
        if calls:
            message["tool_calls"] = [calls[i] for i in sorted(calls)]
        return message

    def choices(self) -> list[tuple[int, str, str | None]]:
        return [(i, "".join(parts), self.finish.get(i)) for i, parts in sorted(self.texts.items())]


async def collect(answer: Answer) -> ChoiceText:
    collected = ChoiceText()
    async for delta in answer.deltas():
        collected.add(delta)
    await answer.recorded()
    return collected


def chat_completion_body(answer: Answer, collected: ChoiceText, created: int) -> bytes:
    return _encode(
        {
            "id": f"chatcmpl-{answer.trip.request_id}",
            "object": "chat.completion",
            "created": created,
            "model": answer.target.model_id,
            "choices": [
                {
                    "index": index,
                    "message": collected.message(index, text),
                    "logprobs": None,
                    "finish_reason": finish,
                }
                for index, text, finish in collected.choices()
            ],
            "usage": answer.usage().as_dict(),
            "system_fingerprint": None,
            **_citations(answer),
        }
    )


def _citations(answer: Answer) -> dict[str, Any]:
    """Routes bound to a collection add the sources; `[n]` in the text is `citations[n-1]`."""
    return {"citations": citations_body(answer.citations)} if answer.citations else {}


def text_completion_body(
    answer: Answer, collected: ChoiceText, created: int, echo: list[str] | None
) -> bytes:
    return _encode(
        {
            "id": f"cmpl-{answer.trip.request_id}",
            "object": "text_completion",
            "created": created,
            "model": answer.target.model_id,
            "choices": [
                {
                    "text": (echo[index] if echo else "") + text,
                    "index": index,
                    "logprobs": None,
                    "finish_reason": finish,
                }
                for index, text, finish in collected.choices()
            ],
            "usage": answer.usage().as_dict(),
            "system_fingerprint": None,
        }
    )


async def chat_chunks(answer: Answer, include_usage: bool) -> AsyncIterator[bytes]:
    created = int(time.time())
    base: dict[str, Any] = {
        "id": f"chatcmpl-{answer.trip.request_id}",
        "object": "chat.completion.chunk",
        "created": created,
        "model": answer.target.model_id,
        "system_fingerprint": None,
    }
    if include_usage:
        base["usage"] = None

    def chunk(
        delta: dict[str, Any], finish: str | None, extra: dict[str, Any] | None = None
    ) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse_event(_encode({**base, "choices": [choice], **(extra or {})}))

    # The sources are known before the first token: on the first chunk and the finishing one.
    cited = _citations(answer)
    yield chunk({"role": "assistant", "content": "", "refusal": None}, None, cited)
    try:
        async for delta in answer.deltas():
            if delta.text:
                yield chunk({"content": delta.text}, None)
            if delta.tool_calls:
                yield chunk({"tool_calls": [_tool_call_piece(p) for p in delta.tool_calls]}, None)
            if delta.finish_reason is not None:
                yield chunk({}, delta.finish_reason, cited)
    except GatewayError as error:
        yield sse_event(_encode(error.to_body()))
        return
    await answer.recorded()
    if include_usage:
        yield sse_event(_encode({**base, "choices": [], "usage": answer.usage().as_dict()}))
    yield DONE


def _tool_call_piece(piece: ToolCallDelta) -> dict[str, Any]:
    function: dict[str, str] = {"arguments": piece.arguments}
    out: dict[str, Any] = {"index": piece.index, "function": function}
    if piece.id is not None:
        out["id"] = piece.id
        out["type"] = "function"
    if piece.name is not None:
        function["name"] = piece.name
    return out


async def text_chunks(
    answer: Answer, include_usage: bool, echo: list[str] | None
) -> AsyncIterator[bytes]:
    base: dict[str, Any] = {
        "id": f"cmpl-{answer.trip.request_id}",
        "object": "text_completion",
        "created": int(time.time()),
        "model": answer.target.model_id,
        "system_fingerprint": None,
    }
    if include_usage:
        base["usage"] = None
    echoed: set[int] = set()
    try:
        async for delta in answer.deltas():
            text = delta.text
            if echo and delta.index not in echoed:
                echoed.add(delta.index)
                text = echo[delta.index] + text
            if text or delta.finish_reason is not None:
                choice = {
                    "text": text,
                    "index": delta.index,
                    "logprobs": None,
                    "finish_reason": delta.finish_reason,
                }
                yield sse_event(_encode({**base, "choices": [choice]}))
    except GatewayError as error:
        yield sse_event(_encode(error.to_body()))
        return
    await answer.recorded()
    if include_usage:
        yield sse_event(_encode({**base, "choices": [], "usage": answer.usage().as_dict()}))
    yield DONE
