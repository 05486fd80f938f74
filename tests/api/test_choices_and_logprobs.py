"""`n > 1` and logprobs through a real gateway to an OpenAI-wire upstream (the fake), with the
official SDK as the client: each choice keeps its text, tool calls and logprobs apart, usage
is counted once, and a guard that rewrites or cuts a choice's text never lets the original
tokens out as logprobs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai import OpenAI

from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import TOOL_ARGUMENTS, create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess

EMAIL = "jane.doe@example.com"
SECRET_TEXT = f"Please write to {EMAIL} today."
RUDE = "you are a worthless idiot"

CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{upstream}/v1", api_key_env: FAKE_KEY}}
  claude: {{kind: anthropic, base_url: "{upstream}", api_key_env: FAKE_KEY}}
models:
  - {{id: smol}}
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini,
      aliases: [gpt-pseudo, gpt-redact, gpt-moderated]}}
  - {{id: claude-fake, provider: claude, upstream_model: claude-sonnet-4-5}}
  - {{id: no-n, provider: api, upstream_model: gpt-4o-mini, supports_n: false}}
routes:
  mixed: {{targets: [smol, claude-fake, gpt-fake]}}
  ignores-n: {{targets: [no-n]}}
guards:
  routes: {{gpt-pseudo: pseudo, gpt-redact: redact-answer, gpt-moderated: moderated}}
  policies:
    off: {{}}
    pseudo: {{pii: {{action: pseudonymize, use_model: false}}}}
    redact-answer: {{pii: {{action: allow, use_model: false, output: redact}}}}
    moderated: {{moderation: {{backend: local, action: block, input: false, output: true}}}}
"""

WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[str, FakeBehaviour]]:
    behaviour = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(behaviour)) as url:
        yield url, behaviour


@pytest.fixture(scope="module")
def gateway(
    upstream: tuple[str, FakeBehaviour], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    home = tmp_path_factory.mktemp("choices")
    config = home / "switchgear.yaml"
    config.write_text(CONFIG.format(upstream=upstream[0]))
    process = GatewayProcess(home, config, env={"FAKE_KEY": "test-key"})
    yield process
    process.stop()


@pytest.fixture()
def client(gateway: GatewayProcess) -> OpenAI:
    return OpenAI(base_url=f"{gateway.base_url}/v1", api_key="unused", max_retries=0, timeout=60)


def _user(text: str) -> Any:
    return [{"role": "user", "content": text}]


class Streamed:
    """A chat stream put back together choice by choice, as a client would."""

    def __init__(self, chunks: list[Any]) -> None:
        self.text: dict[int, str] = {}
        self.tokens: dict[int, list[Any]] = {}
        self.finish: dict[int, list[str]] = {}
        self.calls: dict[int, dict[int, dict[str, str]]] = {}
        self.usages = [c.usage for c in chunks if c.usage is not None]
        for chunk in chunks:
            for choice in chunk.choices:
                i = choice.index
                self.text[i] = self.text.get(i, "") + (choice.delta.content or "")
                if choice.logprobs is not None and choice.logprobs.content is not None:
                    self.tokens.setdefault(i, []).extend(choice.logprobs.content)
                if choice.finish_reason is not None:
                    self.finish.setdefault(i, []).append(choice.finish_reason)
                for piece in choice.delta.tool_calls or ():
                    call = self.calls.setdefault(i, {}).setdefault(
                        piece.index, {"id": "", "arguments": ""}
                    )
                    call["id"] += piece.id or ""
                    call["arguments"] += (piece.function and piece.function.arguments) or ""

    def spelled(self, index: int) -> str:
        return "".join(t.token for t in self.tokens.get(index, []))


def stream(client: OpenAI, **fields: Any) -> Streamed:
    return Streamed(list(client.chat.completions.create(stream=True, **fields)))


def test_chat_choices_and_logprobs_whole(client: OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-fake", messages=_user("Hi you"), n=2, logprobs=True, top_logprobs=2
    )
    # Validated with the SDK's own types: every field in OpenAI's documented shape.
    result = openai.types.chat.ChatCompletion.model_validate(json.loads(raw.text))

    assert [(c.index, c.message.content) for c in result.choices] == [
        (0, "fake-openai says: Hi you"),
        (1, "fake-openai choice 1 says: Hi you"),
    ]
    for choice in result.choices:
        assert choice.logprobs is not None and choice.logprobs.content is not None
        tokens = choice.logprobs.content
        assert "".join(t.token for t in tokens) == choice.message.content
        assert [t.logprob for t in tokens[:2]] == [-0.1, -0.2]
        assert tokens[0].bytes == list(b"fake-openai ")
        assert [(t.token, t.logprob) for t in tokens[1].top_logprobs] == [
            (tokens[1].token, -0.2),
            ("alt1", -1.2),
        ]
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (2, 4 + 6)


def test_chat_choices_and_logprobs_streamed(client: OpenAI) -> None:
    got = stream(
        client,
        model="gpt-fake",
        messages=_user("Hi you"),
        n=2,
        logprobs=True,
        stream_options={"include_usage": True},
    )

    assert got.text == {0: "fake-openai says: Hi you", 1: "fake-openai choice 1 says: Hi you"}
    assert {i: got.spelled(i) for i in got.text} == got.text
    assert got.finish == {0: ["stop"], 1: ["stop"]}
    assert len(got.usages) == 1  # counted once for the whole answer
    assert (got.usages[0].prompt_tokens, got.usages[0].completion_tokens) == (2, 10)


def test_without_logprobs_none_are_sent(client: OpenAI) -> None:
    result = client.chat.completions.create(model="gpt-fake", messages=_user("Hi"), n=2)
    got = stream(client, model="gpt-fake", messages=_user("Hi"), n=2)

    assert [c.logprobs for c in result.choices] == [None, None]
    assert len(result.choices) == 2 and got.tokens == {} and len(got.text) == 2


def test_tool_calls_stay_with_their_choice(client: OpenAI) -> None:
    ask: Any = {"model": "gpt-fake", "messages": _user("weather?"), "tools": [WEATHER], "n": 2}
    result = client.chat.completions.create(**ask)
    got = stream(client, **ask)

    ids = set()
    for choice in result.choices:
        assert choice.finish_reason == "tool_calls" and choice.message.tool_calls is not None
        [call] = choice.message.tool_calls
        assert call.function.arguments == TOOL_ARGUMENTS  # type: ignore[union-attr]
        ids.add(call.id)
    assert len(ids) == 2
    assert got.finish == {0: ["tool_calls"], 1: ["tool_calls"]}
    assert [got.calls[i][0]["arguments"] for i in (0, 1)] == [TOOL_ARGUMENTS] * 2
    assert got.calls[0][0]["id"] != got.calls[1][0]["id"]


def test_legacy_completions_choices_and_logprobs(client: OpenAI) -> None:
    whole = client.completions.create(model="gpt-fake", prompt=["a", "b c"], n=2, logprobs=1)
    chunks = list(
        client.completions.create(
            model="gpt-fake", prompt=["a", "b c"], n=2, logprobs=1, stream=True
        )
    )

    expected = [
        "fake-openai says: a",
        "fake-openai choice 1 says: a",
        "fake-openai says: b c",
        "fake-openai choice 1 says: b c",
    ]
    assert [(c.index, c.text) for c in whole.choices] == list(enumerate(expected))
    logprobs = whole.choices[2].logprobs
    assert logprobs is not None
    assert logprobs.tokens == ["fake-openai ", "says: ", "b ", "c"]
    assert logprobs.token_logprobs == [-0.1, -0.2, -0.3, -0.4]
    assert logprobs.top_logprobs == [
        {"fake-openai ": -0.1},
        {"says: ": -0.2},
        {"b ": -0.3},
        {"c": -0.4},
    ]
    assert logprobs.text_offset == [0, 12, 18, 20]
    streamed: dict[int, str] = {}
    offsets: dict[int, list[int]] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            streamed[choice.index] = streamed.get(choice.index, "") + choice.text
            if choice.logprobs is not None:
                offsets.setdefault(choice.index, []).extend(choice.logprobs.text_offset or [])
    assert [streamed[i] for i in range(4)] == expected
    assert offsets[2] == [0, 12, 18, 20]


def test_legacy_echo_prefixes_each_choice_with_its_own_prompt(client: OpenAI) -> None:
    result = client.completions.create(model="gpt-fake", prompt=["a", "b"], n=2, echo=True)

    assert [c.text for c in result.choices] == [
        "afake-openai says: a",
        "afake-openai choice 1 says: a",
        "bfake-openai says: b",
        "bfake-openai choice 1 says: b",
    ]


@pytest.mark.parametrize("streamed", [False, True])
def test_restored_pseudonyms_never_leave_as_tokens(client: OpenAI, streamed: bool) -> None:
    ask: Any = {"model": "gpt-pseudo", "messages": _user(SECRET_TEXT), "logprobs": True}
    if streamed:
        got = stream(client, **ask)
        text, spelled = got.text[0], got.spelled(0)
    else:
        choice = client.chat.completions.create(**ask).choices[0]
        assert choice.logprobs is not None and choice.logprobs.content is not None
        text, spelled = (
            choice.message.content or "",
            "".join(t.token for t in choice.logprobs.content),
        )

    assert text == f"fake-openai says: {SECRET_TEXT}"  # the caller's own value, put back
    # The tokens spelled the placeholder the upstream saw: they stop where the text changed.
    assert spelled == "fake-openai says: Please write to "


@pytest.mark.parametrize("streamed", [False, True])
def test_a_redacted_answer_value_never_leaves_as_a_token(client: OpenAI, streamed: bool) -> None:
    ask: Any = {
        "model": "gpt-redact",
        "messages": _user(SECRET_TEXT),
        "n": 2,
        "logprobs": True,
        "top_logprobs": 3,
    }
    if streamed:
        got = stream(client, **ask)
        texts = got.text
        tokens = got.tokens
    else:
        result = client.chat.completions.create(**ask)
        texts = {c.index: c.message.content or "" for c in result.choices}
        tokens = {c.index: list((c.logprobs and c.logprobs.content) or []) for c in result.choices}

    assert texts == {
        0: "fake-openai says: Please write to [EMAIL] today.",
        1: "fake-openai choice 1 says: Please write to [EMAIL] today.",
    }
    for index, text in texts.items():
        spelled = "".join(t.token for t in tokens.get(index, []))
        assert text.startswith(spelled)
        seen = [t.token for t in tokens.get(index, [])]
        seen += [top.token for t in tokens.get(index, []) for top in t.top_logprobs]
        assert not any("jane" in token or "example.com" in token for token in seen)


@pytest.mark.parametrize("streamed", [False, True])
def test_moderation_ends_only_the_flagged_choice(client: OpenAI, streamed: bool) -> None:
    # Seven words each: choice 0 repeats the insult whole, choice 1 stops before it.
    ask: Any = {
        "model": "gpt-moderated",
        "messages": _user(RUDE),
        "n": 2,
        "max_tokens": 7,
        "logprobs": True,
    }
    if streamed:
        got = stream(client, stream_options={"include_usage": True}, **ask)
        texts, finishes, usage = got.text, {i: f[-1] for i, f in got.finish.items()}, got.usages[0]
        spelled = {i: got.spelled(i) for i in texts}
        assert got.finish == {0: ["content_filter"], 1: ["length"]}
    else:
        result = client.chat.completions.create(**ask)
        texts = {c.index: c.message.content or "" for c in result.choices}
        finishes = {c.index: c.finish_reason for c in result.choices}
        spelled = {
            c.index: "".join(t.token for t in (c.logprobs and c.logprobs.content) or [])
            for c in result.choices
        }
        assert result.usage is not None
        usage = result.usage

    assert finishes == {0: "content_filter", 1: "length"}
    assert "idiot" not in texts[0]
    assert texts[1] == "fake-openai choice 1 says: you are a "
    assert spelled == texts  # the blocked text's tokens went nowhere either
    assert usage.completion_tokens == 14


def test_targets_without_the_feature_say_which_do(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as claude:
        client.chat.completions.create(model="claude-fake", messages=_user("hi"), n=2)
    with pytest.raises(openai.BadRequestError) as local:
        client.chat.completions.create(model="smol", messages=_user("hi"), logprobs=True)

    for refused, param in ((claude, "n"), (local, "logprobs")):
        error = refused.value.body
        assert isinstance(error, dict)
        assert (error["param"], error["code"]) == (param, "unsupported_parameter")
        assert "OpenAI-compatible" in error["message"]


def test_a_route_sends_choices_and_logprobs_to_the_target_that_serves_them(
    client: OpenAI, gateway: GatewayProcess
) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="mixed", messages=_user("hello there"), n=2, logprobs=True, max_tokens=8
    )
    # The embedded model and the Messages API come first in the route but cannot answer this.
    assert raw.headers["x-switchgear-target"] == "gpt-fake@api"
    reply = raw.parse()
    assert [c.index for c in reply.choices] == [0, 1]
    assert all(c.logprobs is not None and c.logprobs.content for c in reply.choices)
    plain = client.chat.completions.with_raw_response.create(
        model="mixed", messages=_user("hello"), max_tokens=2
    )
    assert plain.headers["x-switchgear-target"] == "smol@local"


def test_a_model_configured_without_n_is_not_sent_several_choices(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="ignores-n", messages=_user("hi"), n=3)
    assert "supports_n: true" in refused.value.message
