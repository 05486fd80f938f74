from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import msgspec
import pytest

from switchgear.guards import GuardBlocked, Guards, GuardsConfig
from switchgear.guards.restore import StreamRestorer, TextRestorer
from switchgear.schema.generation import Delta, ToolCallDelta
from switchgear.schema.requests import ChatCompletionRequest

NAME, EMAIL, IBAN = "Marie Dubois", "marie.dubois@example.fr", "DE89 3704 0044 0532 0130 00"


def guards(pii: dict[str, object]) -> Guards:
    config = msgspec.convert({"default": "p", "policies": {"p": {"pii": pii}}}, GuardsConfig)
    return Guards(config)


def chat_request() -> ChatCompletionRequest:
    body = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "You help with banking."},
            {"role": "user", "content": f"I am {NAME}, mail {EMAIL}. My IBAN is {IBAN}."},
            {"role": "user", "content": [{"type": "text", "text": f"Again: {NAME}!"}]},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "mail", "arguments": json.dumps({"to": EMAIL})},
                    }
                ],
            },
        ],
    }
    return msgspec.convert(body, ChatCompletionRequest)


def test_pseudonymised_request_has_no_original_values_and_stable_placeholders() -> None:
    outcome = asyncio.run(guards({"action": "pseudonymize"}).screen_request(chat_request(), "p"))
    wire = msgspec.json.encode(outcome.request).decode()
    for value in (NAME, EMAIL, IBAN):
        assert value not in wire
    assert wire.count("<PERSON_1>") == 2 and "<PERSON_2>" not in wire
    assert json.loads(outcome.request.messages[3].tool_calls[0].function.arguments) == {  # type: ignore[index]
        "to": "<EMAIL_1>"
    }
    decision = outcome.decisions[0].as_dict()
    assert decision["action"] == "pseudonymize"
    assert decision["entities"] == {"EMAIL": 2, "IBAN": 1, "PERSON": 2}
    assert NAME not in json.dumps(decision) and EMAIL not in json.dumps(decision)
    assert outcome.restorer is not None
    assert outcome.restorer.restore_text("Dear <PERSON_1>, IBAN <IBAN_1>.") == (
        f"Dear {NAME}, IBAN {IBAN}."
    )


def test_redaction_uses_type_labels_and_needs_no_restorer() -> None:
    g = guards({"action": "redact", "per_entity": {"PERSON": "allow"}})
    outcome = asyncio.run(g.screen_request(chat_request(), "p"))
    text = outcome.request.messages[1].text()
    assert text == f"I am {NAME}, mail [EMAIL]. My IBAN is [IBAN]."
    assert outcome.restorer is None


def test_block_names_types_but_never_values() -> None:
    g = guards({"action": "allow", "per_entity": {"IBAN": "block", "EMAIL": "block"}})
    with pytest.raises(GuardBlocked) as caught:
        asyncio.run(g.screen_request(chat_request(), "p"))
    error = caught.value
    body = json.dumps(error.to_body())
    assert error.status == 400 and error.code == "pii_blocked"
    assert "IBAN" in body and "EMAIL" in body
    for value in (NAME, EMAIL, IBAN, "DE89"):
        assert value not in body
    assert error.decisions[-1].action == "block"


def test_route_local_marks_the_outcome_and_leaves_text_alone() -> None:
    g = guards({"action": "allow", "per_entity": {"IBAN": "route_local"}})
    outcome = asyncio.run(g.screen_request(chat_request(), "p"))
    assert outcome.route_local
    assert IBAN in outcome.request.messages[1].text()


def test_restorer_handles_a_placeholder_split_at_every_position() -> None:
    mapping = {"<PERSON_1>": NAME, "<EMAIL_12>": EMAIL}
    answer = "Hello <PERSON_1>, write to <EMAIL_12> or <NOT_A_KEY_3> and 1 < 2 <b>."
    expected = f"Hello {NAME}, write to {EMAIL} or <NOT_A_KEY_3> and 1 < 2 <b>."
    for cut in range(1, len(answer)):
        for second in (cut, min(len(answer), cut + 3)):
            pieces = [answer[:cut], answer[cut:second], answer[second:]]
            restorer = TextRestorer(mapping)
            out = "".join(restorer.feed(p) for p in pieces) + restorer.flush()
            assert out == expected, (cut, second)


def test_stream_restorer_on_deltas_including_tool_arguments_and_choices() -> None:
    restorer = StreamRestorer({"<PERSON_1>": NAME, "<EMAIL_1>": EMAIL})

    async def deltas() -> AsyncIterator[Delta]:
        yield Delta(text="Hi <PER", index=0)
        yield Delta(text="<EMA", index=1)
        yield Delta(text="SON_1>!", index=0)
        yield Delta(index=0, tool_calls=(ToolCallDelta(0, "t1", "mail", '{"to": "<EM'),))
        yield Delta(index=0, tool_calls=(ToolCallDelta(0, arguments='AIL_1>"}'),))
        yield Delta(text="IL_1", index=1, finish_reason="stop")
        yield Delta(text="", index=0, finish_reason="tool_calls")

    async def collect() -> list[Delta]:
        return [d async for d in restorer.wrap(deltas())]

    out = asyncio.run(collect())
    text0 = "".join(d.text for d in out if d.index == 0)
    text1 = "".join(d.text for d in out if d.index == 1)
    args = "".join(c.arguments for d in out for c in d.tool_calls)
    assert text0 == f"Hi {NAME}!"
    assert text1 == "<EMAIL_1"  # not a complete placeholder: flushed unchanged at the end
    assert json.loads(args) == {"to": EMAIL}
    assert [d.finish_reason for d in out if d.finish_reason] == ["stop", "tool_calls"]
