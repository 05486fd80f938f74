"""The answer side keeps the choices of an `n > 1` answer apart: pseudonyms are restored in
each choice's own tool calls, and logprobs go out only where they spell the text sent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from switchgear.guards.restore import StreamRestorer
from switchgear.schema.generation import Delta, LogprobGate, TokenLogprob, ToolCallDelta

EMAIL = "jane.doe@example.com"


def test_one_choice_finishing_does_not_cut_another_choices_tool_call() -> None:
    restorer = StreamRestorer({"<EMAIL_1>": EMAIL})

    async def deltas() -> AsyncIterator[Delta]:
        # Both choices call a tool; choice 1 is mid-placeholder when choice 0 finishes.
        yield Delta(index=0, tool_calls=(ToolCallDelta(0, "a", "mail", '{"to": "<EMAIL_1>"}'),))
        yield Delta(index=1, tool_calls=(ToolCallDelta(0, "b", "mail", '{"to": "<EMA'),))
        yield Delta(index=0, finish_reason="tool_calls")
        yield Delta(index=1, tool_calls=(ToolCallDelta(0, arguments='IL_1>"}'),))
        yield Delta(index=1, finish_reason="tool_calls")

    async def collect() -> list[Delta]:
        return [d async for d in restorer.wrap(deltas())]

    out = asyncio.run(collect())
    for index in (0, 1):
        arguments = "".join(c.arguments for d in out if d.index == index for c in d.tool_calls)
        assert json.loads(arguments) == {"to": EMAIL}


def test_a_character_split_across_tokens_keeps_its_logprobs() -> None:
    # "é" is two bytes; an upstream may sample them as two tokens, spelled by `bytes` only.
    tokens = (
        TokenLogprob("caf", -0.1),
        TokenLogprob("bytes:\\xc3", -0.2, (0xC3,)),
        TokenLogprob("bytes:\\xa9", -0.3, (0xA9,)),
        TokenLogprob("!", -0.4),
    )
    gate = LogprobGate()

    released = gate.feed("café", tokens) + gate.feed("!")

    assert [(at, t.logprob) for at, t in released] == [(0, -0.1), (3, -0.2), (3, -0.3), (4, -0.4)]


def test_tokens_wait_for_held_text_and_stop_where_it_was_rewritten() -> None:
    gate = LogprobGate()
    tokens = tuple(TokenLogprob(t, -1.0) for t in ("Mail ", "bob@x.io", " now"))

    early = gate.feed("", tokens)  # a guard held the text back; its tokens came on ahead
    later = gate.feed("Mail [EMAIL] now")

    assert early == []
    assert [t.token for _, t in later] == ["Mail "]
    assert gate.feed(" and more", (TokenLogprob(" and", -1.0),)) == []
