"""The fakes speak the real wire formats: the official SDKs parse them, and faults look right.

Both servers live for the whole module; every test starts from a healthy `FakeBehaviour`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx
import openai
import pytest

from .anthropic_server import create_anthropic_fake
from .behaviour import FakeBehaviour
from .openai_server import create_openai_fake
from .serve import closed_port_url, run_fake

KEY = "test-key"
WEATHER_TOOL_OPENAI: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "strict": True,  # the SDK's stream helper only accumulates strict tools
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
WEATHER_TOOL_ANTHROPIC: dict[str, Any] = {
    "name": "get_weather",
    "description": "Current weather in a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


@pytest.fixture(scope="module")
def openai_behaviour() -> FakeBehaviour:
    return FakeBehaviour(api_key=KEY)


@pytest.fixture(scope="module")
def anthropic_behaviour() -> FakeBehaviour:
    return FakeBehaviour(api_key=KEY)


@pytest.fixture(scope="module")
def openai_url(openai_behaviour: FakeBehaviour) -> Iterator[str]:
    with run_fake(create_openai_fake(openai_behaviour)) as url:
        yield url


@pytest.fixture(scope="module")
def anthropic_url(anthropic_behaviour: FakeBehaviour) -> Iterator[str]:
    with run_fake(create_anthropic_fake(anthropic_behaviour)) as url:
        yield url


@pytest.fixture(autouse=True)
def _healthy(openai_behaviour: FakeBehaviour, anthropic_behaviour: FakeBehaviour) -> None:
    for behaviour in (openai_behaviour, anthropic_behaviour):
        behaviour.reset()
        behaviour.hang_seconds = 30.0
        behaviour.retry_after = 1


@pytest.fixture()
def oai(openai_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{openai_url}/v1", api_key=KEY, max_retries=0, timeout=5)


@pytest.fixture()
def claude(anthropic_url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=anthropic_url, api_key=KEY, max_retries=0, timeout=5)


def _user(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


# --- OpenAI through the official SDK -------------------------------------------------------


def test_openai_chat_non_streaming(oai: openai.OpenAI) -> None:
    result = oai.chat.completions.create(model="gpt-4o-mini", messages=_user("Hello there"))

    assert result.id.startswith("chatcmpl-")
    assert result.object == "chat.completion"
    assert result.model == "gpt-4o-mini"
    assert result.choices[0].message.content == "fake-openai says: Hello there"
    assert result.choices[0].finish_reason == "stop"
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (2, 4)
    assert result.usage.total_tokens == 6


def test_openai_chat_streaming_matches_non_streaming(oai: openai.OpenAI) -> None:
    stream = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": "Be brief"}, *_user("Hello there")],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    whole = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": "Be brief"}, *_user("Hello there")],
    )

    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(pieces) == 4
    assert "".join(pieces) == whole.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage == whole.usage
    assert all(c.usage is None for c in chunks[:-1])
    assert len({c.id for c in chunks}) == 1


def test_openai_tool_call_non_streaming(oai: openai.OpenAI) -> None:
    result = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=_user("What is the weather in Paris?"),
        tools=[WEATHER_TOOL_OPENAI],  # type: ignore[list-item]
    )

    choice = result.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.id.startswith("call_")
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}


def test_openai_tool_call_streaming(oai: openai.OpenAI) -> None:
    with oai.chat.completions.stream(
        model="gpt-4o-mini",
        messages=_user("weather please"),
        tools=[WEATHER_TOOL_OPENAI],  # type: ignore[list-item]
        stream_options={"include_usage": True},
    ) as stream:
        final = stream.get_final_completion()

    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert call.function.parsed_arguments == {"city": "Paris"}
    assert final.usage is not None and final.usage.completion_tokens == 3


def test_openai_answers_tool_result_with_text(oai: openai.OpenAI) -> None:
    function = {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    call = {"id": "call_1", "type": "function", "function": function}
    messages: list[Any] = [
        *_user("weather?"),
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C and sunny"},
    ]
    result = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=messages,
        tools=[WEATHER_TOOL_OPENAI],  # type: ignore[list-item]
    )

    assert result.choices[0].message.content == "fake-openai says: 18C and sunny"
    assert result.choices[0].finish_reason == "stop"


def test_openai_max_tokens_and_stop(oai: openai.OpenAI) -> None:
    cut = oai.chat.completions.create(
        model="gpt-4o-mini", messages=_user("one two three four"), max_tokens=3
    )
    stopped = oai.chat.completions.create(
        model="gpt-4o-mini", messages=_user("one two three four"), stop=["three"]
    )

    assert cut.choices[0].finish_reason == "length"
    assert cut.choices[0].message.content == "fake-openai says: one "
    assert stopped.choices[0].finish_reason == "stop"
    assert stopped.choices[0].message.content == "fake-openai says: one two "


def test_openai_legacy_completions(oai: openai.OpenAI) -> None:
    result = oai.completions.create(model="gpt-3.5-turbo-instruct", prompt=["a b", "c"])
    stream = oai.completions.create(
        model="gpt-3.5-turbo-instruct",
        prompt="a b",
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    assert result.object == "text_completion"
    assert [c.text for c in result.choices] == ["fake-openai says: a b", "fake-openai says: c"]
    assert [c.index for c in result.choices] == [0, 1]
    assert result.usage is not None and result.usage.completion_tokens == 7
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "fake-openai says: a b"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4


def test_openai_chat_n_and_logprobs_in_the_documented_shape(openai_url: str) -> None:
    body = {"model": "m", "messages": _user("Hi you"), "n": 2, "logprobs": True, "top_logprobs": 2}
    raw = httpx.post(
        f"{openai_url}/v1/chat/completions", headers={"authorization": f"Bearer {KEY}"}, json=body
    ).json()

    # Validating (not just constructing) with the SDK's own types checks every field's type.
    result = openai.types.chat.ChatCompletion.model_validate(raw)
    assert [c.index for c in result.choices] == [0, 1]
    assert [c.message.content for c in result.choices] == [
        "fake-openai says: Hi you",
        "fake-openai choice 1 says: Hi you",
    ]
    for choice in result.choices:
        assert choice.logprobs is not None and choice.logprobs.content is not None
        tokens = choice.logprobs.content
        assert "".join(t.token for t in tokens) == choice.message.content
        assert tokens[0].bytes == list(b"fake-openai ")
        assert [(t.token, t.logprob) for t in tokens[0].top_logprobs] == [
            ("fake-openai ", -0.1),
            ("alt1", -1.1),
        ]
    assert result.usage is not None and result.usage.completion_tokens == 4 + 6


def test_openai_chat_n_and_logprobs_streaming(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model="m", messages=_user("Hi"), n=2, logprobs=True, stream=True
        )
    )

    text: dict[int, str] = {}
    tokens: dict[int, list[str]] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            text[choice.index] = text.get(choice.index, "") + (choice.delta.content or "")
            if choice.logprobs is not None and choice.logprobs.content is not None:
                tokens.setdefault(choice.index, []).extend(t.token for t in choice.logprobs.content)
    assert text == {0: "fake-openai says: Hi", 1: "fake-openai choice 1 says: Hi"}
    assert {i: "".join(t) for i, t in tokens.items()} == text
    # Interleaved word by word, as OpenAI streams several choices.
    order = [c.choices[0].index for c in chunks if c.choices and c.choices[0].delta.content]
    assert order[:4] == [0, 1, 0, 1]


def test_openai_legacy_n_and_logprobs_in_the_documented_shape(openai_url: str) -> None:
    body = {"model": "m", "prompt": ["a", "b c"], "n": 2, "logprobs": 1}
    raw = httpx.post(
        f"{openai_url}/v1/completions", headers={"authorization": f"Bearer {KEY}"}, json=body
    ).json()

    result = openai.types.Completion.model_validate(raw)
    assert [(c.index, c.text) for c in result.choices] == [
        (0, "fake-openai says: a"),
        (1, "fake-openai choice 1 says: a"),
        (2, "fake-openai says: b c"),
        (3, "fake-openai choice 1 says: b c"),
    ]
    logprobs = result.choices[2].logprobs
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


def test_openai_models(oai: openai.OpenAI) -> None:
    assert [model.id for model in oai.models.list()] == ["gpt-4o-mini", "gpt-4o"]


def test_openai_wrong_key(openai_url: str) -> None:
    client = openai.OpenAI(base_url=f"{openai_url}/v1", api_key="sk-wrong-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=_user("hi"))
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert "sk-wrong-key" not in str(caught.value)


def test_openai_missing_key_raw(openai_url: str) -> None:
    response = httpx.post(f"{openai_url}/v1/chat/completions", json={"model": "m"})

    assert response.status_code == 401
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("You didn't provide an API key")


def test_azure_chat_through_sdk(openai_url: str, openai_behaviour: FakeBehaviour) -> None:
    client = openai.AzureOpenAI(
        azure_endpoint=openai_url, api_key=KEY, api_version="2024-10-21", max_retries=0
    )
    whole = client.chat.completions.create(model="my-deployment", messages=_user("Hi"))
    chunks = list(
        client.chat.completions.create(model="my-deployment", messages=_user("Hi"), stream=True)
    )

    assert whole.choices[0].message.content == "fake-openai says: Hi"
    assert chunks[0].choices == []  # Azure's prompt filter chunk comes first
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "fake-openai says: Hi"
    seen = openai_behaviour.requests[-1]
    assert seen["path"] == "/openai/deployments/my-deployment/chat/completions"
    assert seen["query"] == "api-version=2024-10-21"
    assert seen["headers"]["api-key"] == KEY


def test_azure_errors_have_azure_shape(openai_url: str) -> None:
    path = f"{openai_url}/openai/deployments/d/chat/completions"
    body = {"messages": _user("hi")}
    wrong_key = httpx.post(path, params={"api-version": "v"}, headers={"api-key": "x"}, json=body)
    no_version = httpx.post(path, headers={"api-key": KEY}, json=body)

    assert wrong_key.status_code == 401
    assert wrong_key.json()["error"]["code"] == "401"
    assert no_version.status_code == 404
    assert no_version.json() == {"error": {"code": "404", "message": "Resource not found"}}


def test_openai_stream_framing(openai_url: str) -> None:
    response = httpx.post(
        f"{openai_url}/v1/chat/completions",
        headers={"authorization": f"Bearer {KEY}"},
        json={"model": "m", "messages": _user("hi"), "stream": True},
    )

    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.endswith("\n\ndata: [DONE]\n\n")
    frames = response.text.split("\n\n")[:-1]
    assert all(frame.startswith("data: ") and "\n" not in frame for frame in frames)
    payloads = [json.loads(frame[6:]) for frame in frames[:-1]]
    assert {p["object"] for p in payloads} == {"chat.completion.chunk"}
    assert all("usage" not in p for p in payloads)  # only with stream_options.include_usage


# --- Anthropic through the official SDK ----------------------------------------------------


def test_anthropic_non_streaming(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(
        model="claude-test", max_tokens=100, messages=_user("Hello there")
    )

    assert message.id.startswith("msg_")
    assert message.type == "message"
    assert message.role == "assistant"
    assert message.model == "claude-test"
    assert message.content[0].type == "text"
    assert message.content[0].text == "[system:no] fake-anthropic says: Hello there"
    assert message.stop_reason == "end_turn"
    assert message.stop_sequence is None
    assert (message.usage.input_tokens, message.usage.output_tokens) == (2, 5)


def test_anthropic_streaming_matches_non_streaming(claude: anthropic.Anthropic) -> None:
    request: dict[str, Any] = {
        "model": "claude-test",
        "max_tokens": 100,
        "system": "You are terse.",
        "messages": _user("Hello there"),
    }
    with claude.messages.stream(**request) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    whole = claude.messages.create(**request)

    assert len(pieces) == 5
    assert "".join(pieces) == "[system:yes] fake-anthropic says: Hello there"
    assert final.content[0].type == "text" and final.content[0].text == "".join(pieces)
    assert final.stop_reason == whole.stop_reason == "end_turn"
    assert final.usage.input_tokens == whole.usage.input_tokens == 5
    assert final.usage.output_tokens == whole.usage.output_tokens == 5


def test_anthropic_tool_use(claude: anthropic.Anthropic) -> None:
    request: dict[str, Any] = {
        "model": "claude-test",
        "max_tokens": 100,
        "tools": [WEATHER_TOOL_ANTHROPIC],
        "messages": _user("What's the weather like?"),
    }
    whole = claude.messages.create(**request)
    with claude.messages.stream(**request) as stream:
        streamed = stream.get_final_message()

    for message in (whole, streamed):
        assert message.stop_reason == "tool_use"
        block = message.content[0]
        assert isinstance(block, anthropic.types.ToolUseBlock)
        assert block.id.startswith("toolu_")
        assert block.name == "get_weather"
        assert block.input == {"city": "Paris"}
    assert whole.usage.output_tokens == streamed.usage.output_tokens


def test_anthropic_answers_tool_result_with_text(claude: anthropic.Anthropic) -> None:
    tool_use = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}
    result = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C and sunny"}
    messages: list[Any] = [
        *_user("weather?"),
        {"role": "assistant", "content": [tool_use]},
        {"role": "user", "content": [result]},
    ]
    message = claude.messages.create(
        model="claude-test",
        max_tokens=100,
        tools=[WEATHER_TOOL_ANTHROPIC],  # type: ignore[list-item]
        messages=messages,
    )

    assert message.stop_reason == "end_turn"
    assert message.content[0].type == "text"
    assert message.content[0].text == "[system:no] fake-anthropic says: 18C and sunny"


def test_anthropic_max_tokens_and_stop_sequence(claude: anthropic.Anthropic) -> None:
    cut = claude.messages.create(model="c", max_tokens=2, messages=_user("one two"))
    stopped = claude.messages.create(
        model="c", max_tokens=100, stop_sequences=["two"], messages=_user("one two")
    )

    assert cut.stop_reason == "max_tokens"
    assert cut.content[0].type == "text" and cut.content[0].text == "[system:no] fake-anthropic "
    assert stopped.stop_reason == "stop_sequence"
    assert stopped.stop_sequence == "two"
    assert stopped.content[0].type == "text"
    assert stopped.content[0].text == "[system:no] fake-anthropic says: one "


def test_anthropic_wrong_key(anthropic_url: str) -> None:
    client = anthropic.Anthropic(base_url=anthropic_url, api_key="wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as caught:
        client.messages.create(model="c", max_tokens=10, messages=_user("hi"))
    assert caught.value.status_code == 401


def test_anthropic_requires_max_tokens_and_version(anthropic_url: str) -> None:
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    body = {"model": "c", "messages": _user("hi")}
    no_max = httpx.post(f"{anthropic_url}/v1/messages", headers=headers, json=body)
    no_version = httpx.post(
        f"{anthropic_url}/v1/messages", headers={"x-api-key": KEY}, json={**body, "max_tokens": 5}
    )

    assert no_max.status_code == 400
    payload = no_max.json()
    assert payload["type"] == "error"
    assert payload["error"] == {
        "type": "invalid_request_error",
        "message": "max_tokens: Field required",
    }
    assert no_version.status_code == 400
    assert no_version.json()["error"]["type"] == "invalid_request_error"


def test_anthropic_accepts_both_key_headers(
    claude: anthropic.Anthropic, anthropic_url: str, anthropic_behaviour: FakeBehaviour
) -> None:
    claude.messages.create(model="c", max_tokens=10, messages=_user("hi"))
    raw = httpx.post(
        f"{anthropic_url}/v1/messages",
        headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
        json={"model": "c", "max_tokens": 10, "messages": _user("hi")},
    )

    assert raw.status_code == 200
    sdk_headers, raw_headers = (seen["headers"] for seen in anthropic_behaviour.requests)
    # The 2.x SDK sends the key as a bearer token, on the 2026-10-21 API version.
    assert sdk_headers["authorization"] == f"Bearer {KEY}"
    assert sdk_headers["anthropic-version"] == "2026-10-21"
    assert raw_headers["x-api-key"] == KEY


def test_anthropic_2026_version_rejects_sampling_parameters(anthropic_url: str) -> None:
    body = {"model": "c", "max_tokens": 10, "messages": _user("hi"), "temperature": 1.0}

    def post(version: str) -> httpx.Response:
        headers = {"x-api-key": KEY, "anthropic-version": version}
        return httpx.post(f"{anthropic_url}/v1/messages", headers=headers, json=body)

    rejected = post("2026-10-21")
    assert rejected.status_code == 400
    assert rejected.json()["error"]["message"] == "temperature: Extra inputs are not permitted"
    assert post("2023-06-01").status_code == 200


def test_anthropic_stream_framing(anthropic_url: str) -> None:
    response = httpx.post(
        f"{anthropic_url}/v1/messages",
        headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
        json={"model": "c", "max_tokens": 50, "messages": _user("hi"), "stream": True},
    )

    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.endswith("\n\n")
    names = []
    for frame in response.text.split("\n\n")[:-1]:
        event_line, data_line = frame.split("\n")
        name = event_line.removeprefix("event: ")
        assert json.loads(data_line.removeprefix("data: "))["type"] == name
        names.append(name)
    assert names == [
        "message_start",
        "content_block_start",
        "ping",
        *["content_block_delta"] * 4,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


# --- Faults, over raw HTTP, for both fakes -------------------------------------------------


@dataclass
class Upstream:
    name: str
    url: str
    behaviour: FakeBehaviour

    @property
    def endpoint(self) -> str:
        path = "/v1/chat/completions" if self.name == "openai" else "/v1/messages"
        return self.url + path

    @property
    def headers(self) -> dict[str, str]:
        if self.name == "openai":
            return {"authorization": f"Bearer {KEY}"}
        return {"x-api-key": KEY, "anthropic-version": "2023-06-01"}

    def body(self, stream: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"model": "m", "messages": _user("alpha beta gamma")}
        if self.name == "anthropic":
            body["max_tokens"] = 100
        return {**body, "stream": True} if stream else body

    def post(self, stream: bool = False, timeout: float = 5) -> httpx.Response:
        return httpx.post(
            self.endpoint, headers=self.headers, json=self.body(stream), timeout=timeout
        )

    def error_type(self, response: httpx.Response) -> str:
        payload = response.json()
        if self.name == "anthropic":
            assert payload["type"] == "error"
        return str(payload["error"]["type"])

    def text_deltas(self, lines: list[str]) -> list[str]:
        texts = []
        for line in lines:
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            data = json.loads(line[6:])
            if self.name == "openai" and data["choices"]:
                texts.append(data["choices"][0]["delta"].get("content") or "")
            elif data.get("type") == "content_block_delta":
                texts.append(data["delta"]["text"])
        return [text for text in texts if text]

    @property
    def terminator(self) -> str:
        return "data: [DONE]" if self.name == "openai" else "event: message_stop"


@pytest.fixture(params=["openai", "anthropic"])
def upstream(
    request: pytest.FixtureRequest,
    openai_url: str,
    anthropic_url: str,
    openai_behaviour: FakeBehaviour,
    anthropic_behaviour: FakeBehaviour,
) -> Upstream:
    if request.param == "openai":
        return Upstream("openai", openai_url, openai_behaviour)
    return Upstream("anthropic", anthropic_url, anthropic_behaviour)


def test_refuse_is_a_closed_port(upstream: Upstream) -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.post(closed_port_url() + "/v1/messages", json={}, timeout=2)
    # A running fake cannot refuse, so it says so rather than pretend.
    upstream.behaviour.mode = "refuse"
    assert upstream.post().status_code == 501


def test_hang(upstream: Upstream) -> None:
    upstream.behaviour.mode = "hang"
    with pytest.raises(httpx.ReadTimeout):
        upstream.post(timeout=0.2)

    upstream.behaviour.hang_seconds = 0.2
    started = time.monotonic()
    response = upstream.post()
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.2


def test_error500(upstream: Upstream) -> None:
    upstream.behaviour.mode = "error500"
    response = upstream.post(stream=True)

    assert response.status_code == 500
    assert upstream.error_type(response) == {"openai": "server_error"}.get(
        upstream.name, "api_error"
    )


def test_rate_limit(upstream: Upstream) -> None:
    upstream.behaviour.mode = "rate_limit"
    upstream.behaviour.retry_after = 7
    response = upstream.post()

    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    expected = "requests" if upstream.name == "openai" else "rate_limit_error"
    assert upstream.error_type(response) == expected


def test_cut_stream(upstream: Upstream) -> None:
    upstream.behaviour.mode = "cut_stream"
    lines: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "POST", upstream.endpoint, headers=upstream.headers, json=upstream.body(stream=True)
        ) as response,
    ):
        assert response.status_code == 200
        lines.extend(response.iter_lines())

    assert len(upstream.text_deltas(lines)) == 2
    assert upstream.terminator not in lines
    with pytest.raises(httpx.RemoteProtocolError):
        upstream.post()  # a non-streamed body is cut halfway too


def test_garbage_sse(upstream: Upstream) -> None:
    upstream.behaviour.mode = "garbage_sse"
    response = upstream.post(stream=True)

    assert response.status_code == 200
    lines = response.text.splitlines()
    data = [line[6:] for line in lines if line.startswith("data: ") and line != "data: [DONE]"]
    broken = []
    for payload in data:
        try:
            json.loads(payload)
        except json.JSONDecodeError:
            broken.append(payload)
    assert len(broken) == 1
    assert upstream.terminator in response.text.splitlines()
    with pytest.raises(json.JSONDecodeError):
        upstream.post().json()


def test_fail_times_then_ok(upstream: Upstream) -> None:
    upstream.behaviour.fail("error500", times=2)
    statuses = [upstream.post().status_code for _ in range(3)]

    assert statuses == [500, 500, 200]
    assert upstream.behaviour.mode == "ok"


def test_fail_times_zero_means_always(upstream: Upstream) -> None:
    upstream.behaviour.fail("error500")

    assert [upstream.post().status_code for _ in range(3)] == [500, 500, 500]


def test_requests_are_recorded(upstream: Upstream) -> None:
    httpx.post(
        upstream.endpoint, headers={**upstream.headers, "x-trace": "t1"}, json=upstream.body()
    )
    upstream.behaviour.api_key = "rotated"
    rejected = upstream.post()

    assert rejected.status_code == 401
    first, second = upstream.behaviour.requests
    assert first["method"] == "POST"
    assert first["headers"]["x-trace"] == "t1"
    assert first["json"] == upstream.body()
    assert json.loads(first["body"]) == upstream.body()
    assert second["json"] == upstream.body()  # recorded even though it was turned away
