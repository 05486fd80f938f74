"""Builds OpenAI response bodies and stream chunks from an answer's deltas: one choice per
delta index (`n > 1`, several prompts), each with its own logprobs.

Logprobs go out only where they spell the text the client gets (`LogprobGate`): when a guard
rewrote or cut a choice's text, that choice's logprobs stop at the first token that no longer
matches, so a redacted value never leaves as a token. `text_offset` (legacy completions) counts
characters of the choice's text as returned, the echoed prompt included.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from switchgear.api.sse import DONE, sse_event
from switchgear.knowledge.cite import citations_body
from switchgear.schema.errors import GatewayError, InvalidRequest
from switchgear.schema.generation import Delta, LogprobGate, TokenLogprob, ToolCallDelta
from switchgear.schema.requests import ChatCompletionRequest, CompletionRequest
from switchgear.trip import Answer

Released = list[tuple[int, TokenLogprob]]  # tokens that may go out, with their text offsets

_encode = msgspec.json.encode


class ChoiceText:
    """Accumulates the text and finish reason of each choice of a non-streamed answer."""

    def __init__(self) -> None:
        self.texts: dict[int, list[str]] = {}
        self.finish: dict[int, str | None] = {}
        self.tool_calls: dict[int, dict[int, dict[str, Any]]] = {}
        self.tokens: dict[int, list[TokenLogprob]] = {}

    def add(self, delta: Delta) -> None:
        self.texts.setdefault(delta.index, []).append(delta.text)
        if delta.logprobs:
            self.tokens.setdefault(delta.index, []).extend(delta.logprobs)
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

    def logprobs(self, index: int, text: str) -> Released:
        """The choice's tokens that spell its final text (see the module's docstring)."""
        return LogprobGate().feed(text, tuple(self.tokens.get(index, ())))


def wants_logprobs(request: Any) -> bool:
    if isinstance(request, CompletionRequest):
        return request.logprobs is not None  # 0 asks for the sampled tokens' logprobs alone
    return isinstance(request, ChatCompletionRequest) and bool(
        request.logprobs or request.top_logprobs
    )


def choices_per_prompt(request: Any) -> int:
    return getattr(request, "n", None) or 1


def chat_logprobs(released: Released) -> dict[str, Any]:
    return {"content": [_chat_token(token) for _, token in released], "refusal": None}


def _chat_token(token: TokenLogprob) -> dict[str, Any]:
    return {
        "token": token.token,
        "logprob": token.logprob,
        "bytes": None if token.utf8_bytes is None else list(token.utf8_bytes),
        "top_logprobs": [
            {
                "token": top.token,
                "logprob": top.logprob,
                "bytes": None if top.utf8_bytes is None else list(top.utf8_bytes),
            }
            for top in token.top
        ],
    }


def text_logprobs(released: Released, offset: int) -> dict[str, Any]:
    """Legacy completions' parallel lists; `offset`: where the generated text starts."""
    return {
        "tokens": [token.token for _, token in released],
        "token_logprobs": [token.logprob for _, token in released],
        "top_logprobs": [{top.token: top.logprob for top in token.top} for _, token in released],
        "text_offset": [offset + at for at, _ in released],
    }


async def collect(answer: Answer) -> ChoiceText:
    collected = ChoiceText()
    async for delta in answer.deltas():
        collected.add(delta)
    await answer.recorded()
    return collected


def chat_completion_body(answer: Answer, collected: ChoiceText, created: int) -> bytes:
    wants = wants_logprobs(answer.trip.request)
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
                    "logprobs": chat_logprobs(collected.logprobs(index, text)) if wants else None,
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
    request = answer.trip.request
    wants, n = wants_logprobs(request), choices_per_prompt(request)
    choices = []
    for index, text, finish in collected.choices():
        echoed = echo[index // n] if echo else ""  # each prompt has `n` choices, in order
        released = collected.logprobs(index, text) if wants else []
        choices.append(
            {
                "text": echoed + text,
                "index": index,
                "logprobs": text_logprobs(released, len(echoed)) if wants else None,
                "finish_reason": finish,
            }
        )
    return _encode(
        {
            "id": f"cmpl-{answer.trip.request_id}",
            "object": "text_completion",
            "created": created,
            "model": answer.target.model_id,
            "choices": choices,
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
    gates: dict[int, LogprobGate] | None = {} if wants_logprobs(answer.trip.request) else None

    def chunk(
        index: int,
        delta: dict[str, Any],
        finish: str | None,
        extra: dict[str, Any] | None = None,
        logprobs: dict[str, Any] | None = None,
    ) -> bytes:
        choice = {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
        return sse_event(_encode({**base, "choices": [choice], **(extra or {})}))

    # The sources are known before the first token: on the first chunk and the finishing ones.
    cited = _citations(answer)
    opening = {"role": "assistant", "content": "", "refusal": None}
    yield chunk(0, opening, None, cited)
    opened = {0}
    try:
        async for delta in answer.deltas():
            index = delta.index
            if index not in opened:  # another choice (n > 1) starts
                opened.add(index)
                yield chunk(index, opening, None)
            gate = None if gates is None else gates.setdefault(index, LogprobGate())
            released = [] if gate is None else gate.feed(delta.text, delta.logprobs)
            if delta.text or released:
                logprobs = None if gate is None else chat_logprobs(released)
                yield chunk(index, {"content": delta.text}, None, logprobs=logprobs)
            if delta.tool_calls:
                pieces = [_tool_call_piece(p) for p in delta.tool_calls]
                yield chunk(index, {"tool_calls": pieces}, None)
            if delta.finish_reason is not None:
                if gate is not None:
                    gate.finish()
                yield chunk(index, {}, delta.finish_reason, cited)
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
    request = answer.trip.request
    n = choices_per_prompt(request)
    gates: dict[int, LogprobGate] | None = {} if wants_logprobs(request) else None
    echoed: dict[int, int] = {}  # choice -> characters of its echoed prompt
    try:
        async for delta in answer.deltas():
            index, text = delta.index, delta.text
            if index not in echoed:
                prefix = echo[index // n] if echo else ""
                echoed[index] = len(prefix)
                text = prefix + text
            gate = None if gates is None else gates.setdefault(index, LogprobGate())
            released = [] if gate is None else gate.feed(delta.text, delta.logprobs)
            if gate is not None and delta.finish_reason is not None:
                gate.finish()
            if text or released or delta.finish_reason is not None:
                choice = {
                    "text": text,
                    "index": index,
                    "logprobs": None if gate is None else text_logprobs(released, echoed[index]),
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


def echo_prefixes(request: CompletionRequest) -> list[str] | None:
    if not request.echo:
        return None
    prompt = request.prompt
    if isinstance(prompt, str):
        return [prompt]
    if all(isinstance(p, str) for p in prompt):
        return [str(p) for p in prompt]
    raise InvalidRequest("`echo` is supported for text prompts only.", param="echo")
