"""The Anthropic provider against the fake Messages API: translation both ways, and faults."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from switchgear.providers.anthropic import AnthropicProvider
from switchgear.schema.errors import InvalidRequest, UpstreamError
from tests.fakes.anthropic_server import TOOL_INPUT
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.serve import closed_port_url

from .conftest import (
    KEY,
    Scripted,
    arguments,
    chat,
    collect,
    first,
    joined,
    partial,
    settings,
    text,
    user,
)

MODEL = "claude-test"
WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
WEATHER_ANTHROPIC = {
    "name": "get_weather",
    "description": "Current weather in a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def provider(root: str, **overrides: Any) -> AnthropicProvider:
    return AnthropicProvider("claude", settings("anthropic", root, **overrides))


def sent(behaviour: FakeBehaviour) -> dict[str, Any]:
    body: dict[str, Any] = behaviour.requests[-1]["json"]
    return body


def upstream_error(outcome: list[Any]) -> UpstreamError:
    error = outcome[-1]
    assert isinstance(error, UpstreamError), outcome
    return error


def test_system_moves_to_the_top(anthropic_root: str, behaviour: FakeBehaviour) -> None:
    request = chat(
        messages=[
            {"role": "system", "content": "Be brief"},
            {"role": "developer", "content": [{"type": "text", "text": "No jokes"}]},
            user("Hello there"),
        ],
        temperature=0.2,
        top_p=0.9,
        user="alice",
    )

    deltas = collect(provider(anthropic_root), MODEL, request)

    assert joined(deltas) == "[system:yes] fake-anthropic says: Hello there"
    recorded = behaviour.requests[-1]
    assert recorded["path"] == "/v1/messages"
    assert recorded["headers"]["x-api-key"] == KEY
    assert recorded["headers"]["anthropic-version"] == "2023-06-01"
    assert recorded["json"] == {
        "model": MODEL,
        "max_tokens": 4096,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello there"}]}],
        "stream": True,
        "system": "Be brief\n\nNo jokes",
        "temperature": 0.2,
        "top_p": 0.9,
        "metadata": {"user_id": "alice"},
    }


def test_streaming_deltas_and_usage(anthropic_root: str) -> None:
    deltas = collect(provider(anthropic_root), MODEL, chat(messages=[user("one two")]))

    # One delta per word, as they arrive, then the finish with usage.
    assert [d.text for d in deltas] == [
        "[system:no] ",
        "fake-anthropic ",
        "says: ",
        "one ",
        "two",
        "",
    ]
    assert [d.finish_reason for d in deltas] == [None] * 5 + ["stop"]
    usage = deltas[-1].usage
    assert usage is not None and (usage.prompt_tokens, usage.completion_tokens) == (2, 5)


def test_turns_merge_and_alternate(anthropic_root: str, behaviour: FakeBehaviour) -> None:
    request = chat(
        messages=[
            user("first"),
            user([{"type": "text", "text": "second"}]),
            {"role": "assistant", "content": "reply one"},
            {"role": "assistant", "content": ""},
            {"role": "assistant", "content": "reply two"},
            user("third"),
        ]
    )

    deltas = collect(provider(anthropic_root), MODEL, request)

    assert joined(deltas).endswith("says: third")
    assert sent(behaviour)["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "reply one"},
                {"type": "text", "text": "reply two"},
            ],
        },
        {"role": "user", "content": [{"type": "text", "text": "third"}]},
    ]


def test_stop_reasons(anthropic_root: str, behaviour: FakeBehaviour) -> None:
    cut = collect(provider(anthropic_root), MODEL, chat(messages=[user("a b c")], max_tokens=2))
    assert joined(cut) == "[system:no] fake-anthropic "
    assert cut[-1].finish_reason == "length"
    assert sent(behaviour)["max_tokens"] == 2

    stopped = collect(provider(anthropic_root), MODEL, chat(messages=[user("a b c")], stop=["b"]))
    assert joined(stopped) == "[system:no] fake-anthropic says: a "
    assert stopped[-1].finish_reason == "stop"
    assert sent(behaviour)["stop_sequences"] == ["b"]


def test_tool_call_comes_back_as_tool_deltas(anthropic_root: str, behaviour: FakeBehaviour) -> None:
    request = chat(messages=[user("What is the weather?")], tools=[WEATHER], tool_choice="auto")

    deltas = collect(provider(anthropic_root), MODEL, request)

    opening = deltas[0].tool_calls[0]
    assert opening.index == 0 and opening.name == "get_weather"
    assert opening.id is not None and opening.id.startswith("toolu_")
    assert json.loads(arguments(deltas)) == TOOL_INPUT
    assert deltas[-1].finish_reason == "tool_calls"
    assert sent(behaviour)["tools"] == [WEATHER_ANTHROPIC]
    assert sent(behaviour)["tool_choice"] == {"type": "auto"}


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        ("required", None, {"type": "any"}),
        ("none", None, {"type": "none"}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            None,
            {"type": "tool", "name": "get_weather"},
        ),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
    ],
)
def test_tool_choice_mapping(
    anthropic_root: str, behaviour: FakeBehaviour, choice: Any, parallel: Any, expected: Any
) -> None:
    fields: dict[str, Any] = {"tool_choice": choice} if choice is not None else {}
    if parallel is not None:
        fields["parallel_tool_calls"] = parallel
    collect(provider(anthropic_root), MODEL, chat(messages=[user("hi")], tools=[WEATHER], **fields))
    assert sent(behaviour)["tool_choice"] == expected


def test_tool_calls_and_results_go_up(anthropic_root: str, behaviour: FakeBehaviour) -> None:
    calls = [
        {
            "id": "toolu_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {"id": "toolu_2", "type": "function", "function": {"name": "get_weather", "arguments": ""}},
    ]
    request = chat(
        messages=[
            user("weather?"),
            {"role": "assistant", "content": "Let me look.", "tool_calls": calls},
            {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
            {
                "role": "tool",
                "tool_call_id": "toolu_2",
                "content": [{"type": "text", "text": "sunny"}],
            },
        ],
        tools=[WEATHER],
    )

    deltas = collect(provider(anthropic_root), MODEL, request)

    assert joined(deltas) == "[system:no] fake-anthropic says: 18C sunny"
    assert deltas[-1].finish_reason == "stop"
    assistant, results = sent(behaviour)["messages"][1:]
    assert assistant == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Let me look."},
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "get_weather",
                "input": {"city": "Paris"},
            },
            {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {}},
        ],
    }
    assert results == {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_1",
                "content": [{"type": "text", "text": "18C"}],
            },
            {
                "type": "tool_result",
                "tool_use_id": "toolu_2",
                "content": [{"type": "text", "text": "sunny"}],
            },
        ],
    }


def test_images(anthropic_root: str, behaviour: FakeBehaviour) -> None:
    parts = [
        {"type": "text", "text": "Compare"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "low"}},
        {
            "type": "file",
            "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"},
        },
    ]
    collect(provider(anthropic_root), MODEL, chat(messages=[user(parts)]))
    assert sent(behaviour)["messages"][0]["content"][1:] == [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
        },
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
        },
    ]


def test_json_schema_through_a_forced_tool(anthropic_root: str, behaviour: FakeBehaviour) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "place", "schema": schema}}

    deltas = collect(
        provider(anthropic_root), MODEL, chat(messages=[user("x")], response_format=fmt)
    )

    assert json.loads(joined(deltas)) == TOOL_INPUT
    assert all(not d.tool_calls for d in deltas)
    assert deltas[-1].finish_reason == "stop"
    assert sent(behaviour)["tools"] == [{"name": "place", "input_schema": schema}]
    assert sent(behaviour)["tool_choice"] == {"type": "tool", "name": "place"}


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"n": 2}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"seed": 1}, "seed"),
        ({"presence_penalty": 0.5}, "presence_penalty"),
        ({"frequency_penalty": 0.5}, "frequency_penalty"),
        ({"logit_bias": {"1": 2.0}}, "logit_bias"),
        ({"temperature": 1.5}, "temperature"),
        (
            {"messages": [user([{"type": "input_audio", "input_audio": {}}])]},
            "messages[0].content[0]",
        ),
    ],
)
def test_unsupported_fields_are_400_before_any_request(
    anthropic_root: str, behaviour: FakeBehaviour, fields: dict[str, Any], param: str
) -> None:
    fields.setdefault("messages", [user("x")])
    with pytest.raises(InvalidRequest) as refused:
        first(provider(anthropic_root), MODEL, chat(**fields))
    assert refused.value.status == 400
    assert refused.value.param == param
    assert refused.value.code in ("unsupported_parameter", "unsupported_value")
    assert behaviour.requests == []


def test_text_completions_are_refused(anthropic_root: str, behaviour: FakeBehaviour) -> None:
    async def run() -> None:
        up = provider(anthropic_root)
        await up.start()
        try:
            await anext(up.stream_text(MODEL, text(prompt="x"), "x", 0))
        finally:
            await up.aclose()

    with pytest.raises(InvalidRequest):
        asyncio.run(run())
    assert behaviour.requests == []


def test_base_url_may_end_in_v1(anthropic_root: str) -> None:
    deltas = collect(provider(f"{anthropic_root}/v1/"), MODEL, chat(messages=[user("x")]))
    assert deltas[-1].finish_reason == "stop"


# --- faults --------------------------------------------------------------------------------


def test_error_event(scripted: Scripted, scripted_root: str) -> None:
    start = {"type": "message_start", "message": {"usage": {"input_tokens": 3, "output_tokens": 1}}}
    block = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    text_delta = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": "Hi"},
    }
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    scripted.sse(
        *(
            f"event: {e['type']}\ndata: {json.dumps(e)}\n\n"
            for e in (start, block, text_delta, error)
        )
    )

    outcome = partial(provider(scripted_root), MODEL, chat(messages=[user("x")]))

    assert outcome[0].text == "Hi"
    failure = upstream_error(outcome)
    assert failure.retryable and "Overloaded" in failure.message


def test_refused_connection() -> None:
    error = upstream_error(partial(provider(closed_port_url()), MODEL, chat(messages=[user("x")])))
    assert (error.retryable, error.status) == (True, 502)


def test_hang_past_the_timeout(anthropic_root: str, behaviour: FakeBehaviour) -> None:
    behaviour.fail("hang")
    behaviour.hang_seconds = 10
    up = provider(anthropic_root, timeout_s=0.3)
    error = upstream_error(partial(up, MODEL, chat(messages=[user("x")])))
    assert (error.retryable, error.status) == (True, 504)


def test_rate_limit(anthropic_root: str, behaviour: FakeBehaviour) -> None:
    behaviour.fail("rate_limit")
    behaviour.retry_after = 4
    with pytest.raises(UpstreamError) as failed:
        first(provider(anthropic_root), MODEL, chat(messages=[user("x")]))
    assert (failed.value.status, failed.value.retryable, failed.value.retry_after) == (
        429,
        True,
        4.0,
    )
    assert failed.value.type == "rate_limit_error"


def test_server_error(anthropic_root: str, behaviour: FakeBehaviour) -> None:
    behaviour.fail("error500")
    error = upstream_error(partial(provider(anthropic_root), MODEL, chat(messages=[user("x")])))
    assert (error.retryable, error.status) == (True, 502)


@pytest.mark.parametrize("mode", ["cut_stream", "garbage_sse"])
def test_broken_streams(anthropic_root: str, behaviour: FakeBehaviour, mode: Any) -> None:
    behaviour.fail(mode)
    outcome = partial(provider(anthropic_root), MODEL, chat(messages=[user("one two three")]))
    error = upstream_error(outcome)
    assert (error.retryable, error.code) == (True, "upstream_stream_broken")
    assert len(outcome) >= 2  # the text before the break was passed on


def test_bad_version_is_a_400_from_upstream(anthropic_root: str) -> None:
    up = provider(anthropic_root, api_version="1999-01-01")
    error = upstream_error(partial(up, MODEL, chat(messages=[user("x")])))
    assert (error.status, error.retryable, error.type) == (400, False, "invalid_request_error")
    assert "anthropic-version" in error.message
