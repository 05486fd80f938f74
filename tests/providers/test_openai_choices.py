"""`n` and logprobs through the OpenAI-compatible provider: each upstream choice keeps its own
index, its tokens ride on its own deltas, and usage comes once, on the very last delta."""

from __future__ import annotations

import pytest

from switchgear.providers.openai_compat import OpenAICompatProvider
from switchgear.schema.errors import InvalidRequest
from switchgear.schema.generation import Delta
from tests.fakes.behaviour import FakeBehaviour

from .conftest import chat, collect, first, settings, text, user


def provider(root: str) -> OpenAICompatProvider:
    return OpenAICompatProvider("oai", settings("openai_compat", f"{root}/v1"))


def texts(deltas: list[Delta]) -> dict[int, str]:
    out: dict[int, str] = {}
    for delta in deltas:
        out[delta.index] = out.get(delta.index, "") + delta.text
    return out


def test_chat_choices_keep_their_index_and_usage_comes_once(
    openai_root: str, behaviour: FakeBehaviour
) -> None:
    deltas = collect(provider(openai_root), "m", chat(messages=[user("Hello there")], n=2))

    assert texts(deltas) == {
        0: "fake-openai says: Hello there",
        1: "fake-openai choice 1 says: Hello there",
    }
    finishes = [(d.index, d.finish_reason) for d in deltas if d.finish_reason]
    assert finishes == [(0, "stop"), (1, "stop")]
    with_usage = [d for d in deltas if d.usage is not None]
    assert len(with_usage) == 1 and with_usage[0] is deltas[-1]
    assert with_usage[0].usage is not None and with_usage[0].usage.completion_tokens == 10
    assert behaviour.requests[-1]["json"]["n"] == 2


def test_chat_logprobs_ride_on_their_choice(openai_root: str, behaviour: FakeBehaviour) -> None:
    request = chat(messages=[user("Hi")], n=2, logprobs=True, top_logprobs=2)

    deltas = collect(provider(openai_root), "m", request)

    for index, answer in texts(deltas).items():
        tokens = [t for d in deltas if d.index == index for t in d.logprobs]
        assert "".join(t.token for t in tokens) == answer
        assert [t.logprob for t in tokens][:2] == [-0.1, -0.2]
        assert [(top.token, top.logprob) for top in tokens[0].top] == [
            ("fake-openai ", -0.1),
            ("alt1", -1.1),
        ]
        assert tokens[0].utf8() == b"fake-openai "
    sent = behaviour.requests[-1]["json"]
    assert (sent["logprobs"], sent["top_logprobs"]) == (True, 2)


def test_legacy_choices_are_numbered_prompt_by_prompt(
    openai_root: str, behaviour: FakeBehaviour
) -> None:
    # The pipeline sends one prompt at a time: here the second of a request's prompts, whose
    # choices come after the first prompt's two.
    request = text(prompt="a", n=2, logprobs=1)

    deltas = collect(provider(openai_root), "m", request, index=1)

    assert texts(deltas) == {2: "fake-openai says: a", 3: "fake-openai choice 1 says: a"}
    tokens = [t.token for d in deltas if d.index == 3 for t in d.logprobs]
    assert tokens == ["fake-openai ", "choice ", "1 ", "says: ", "a"]
    assert behaviour.requests[-1]["json"]["logprobs"] == 1


def test_legacy_echo_with_logprobs_is_refused_before_sending(
    openai_root: str, behaviour: FakeBehaviour
) -> None:
    request = text(prompt="a", logprobs=0, echo=True)

    with pytest.raises(InvalidRequest) as refused:
        collect(provider(openai_root), "m", request)

    assert (refused.value.param, refused.value.code) == ("echo", "unsupported_parameter")
    assert behaviour.requests == []


def test_n_and_logprobs_are_sent_not_refused(openai_root: str, behaviour: FakeBehaviour) -> None:
    delta = first(provider(openai_root), "m", chat(messages=[user("x")], n=3, logprobs=True))

    assert delta.logprobs and delta.logprobs[0].token == "fake-openai "
    assert behaviour.requests[-1]["json"]["n"] == 3
