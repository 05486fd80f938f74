"""The OpenAI-compatible provider against the fake OpenAI and Azure upstreams."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from switchgear.providers.openai_compat import OpenAICompatProvider
from switchgear.schema.errors import InvalidRequest, UpstreamError
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import TOOL_ARGUMENTS
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

WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "default": None}},
        },
    },
}


def provider(root: str, **overrides: Any) -> OpenAICompatProvider:
    return OpenAICompatProvider("oai", settings("openai_compat", f"{root}/v1", **overrides))


def upstream_error(outcome: list[Any]) -> UpstreamError:
    error = outcome[-1]
    assert isinstance(error, UpstreamError), outcome
    return error


def test_chat_text_usage_and_request_shape(openai_root: str, behaviour: FakeBehaviour) -> None:
    request = chat(messages=[user("Hello there")], temperature=0.5)
    up = provider(openai_root, headers={"x-team": "blue"})

    deltas = collect(up, "gpt-4o-mini", request)

    assert joined(deltas) == "fake-openai says: Hello there"
    assert len(deltas) == 5  # one per word, then the finish: nothing buffered
    assert [d.finish_reason for d in deltas] == [None] * 4 + ["stop"]
    assert deltas[-1].usage is not None
    assert (deltas[-1].usage.prompt_tokens, deltas[-1].usage.completion_tokens) == (2, 4)
    assert all(d.usage is None for d in deltas[:-1])
    sent = behaviour.requests[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["authorization"] == f"Bearer {KEY}"
    assert sent["headers"]["x-team"] == "blue"
    assert sent["json"] == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hello there"}],
        "temperature": 0.5,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_length_and_stop(openai_root: str) -> None:
    cut = collect(provider(openai_root), "m", chat(messages=[user("one two")], max_tokens=2))
    assert joined(cut) == "fake-openai says: "
    assert cut[-1].finish_reason == "length"
    stopped = collect(provider(openai_root), "m", chat(messages=[user("a b c")], stop="b"))
    assert joined(stopped) == "fake-openai says: a "
    assert stopped[-1].finish_reason == "stop"


def test_text_completion_keeps_the_index(openai_root: str, behaviour: FakeBehaviour) -> None:
    request = text(prompt="one two", max_tokens=5, echo=True)

    deltas = collect(provider(openai_root), "gpt-3.5-turbo-instruct", request, index=2)

    assert joined(deltas) == "fake-openai says: one two"
    assert {d.index for d in deltas} == {2}
    assert deltas[-1].finish_reason == "stop"
    assert deltas[-1].usage is not None and deltas[-1].usage.prompt_tokens == 2
    sent = behaviour.requests[-1]
    assert sent["path"] == "/v1/completions"
    assert sent["json"]["prompt"] == "one two" and "echo" not in sent["json"]


def test_tool_call_deltas(openai_root: str, behaviour: FakeBehaviour) -> None:
    request = chat(messages=[user("What is the weather in Paris?")], tools=[WEATHER])

    deltas = collect(provider(openai_root), "gpt-4o-mini", request)

    opening = deltas[0].tool_calls[0]
    assert opening.index == 0 and opening.id is not None and opening.id.startswith("call_")
    assert opening.name == "get_weather"
    assert arguments(deltas) == TOOL_ARGUMENTS
    assert deltas[-1].finish_reason == "tool_calls"
    # The client's schema travels untouched, nulls included.
    assert behaviour.requests[-1]["json"]["tools"] == [WEATHER]


def test_tool_results_go_back_as_sent(openai_root: str, behaviour: FakeBehaviour) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": "{}"},
    }
    messages = [
        user("weather?"),
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    ]

    deltas = collect(provider(openai_root), "m", chat(messages=messages, tools=[WEATHER]))

    assert joined(deltas) == "fake-openai says: 18C"
    assert behaviour.requests[-1]["json"]["messages"][1] == {
        "role": "assistant",
        "tool_calls": [call],
    }


def test_azure_url_and_key_header(openai_root: str, behaviour: FakeBehaviour) -> None:
    up = OpenAICompatProvider("az", settings("azure_openai", openai_root, api_version="2024-10-21"))

    deltas = collect(up, "my-deployment", chat(messages=[user("Hi")]))

    assert joined(deltas) == "fake-openai says: Hi"
    assert deltas[-1].finish_reason == "stop" and deltas[-1].usage is not None
    sent = behaviour.requests[-1]
    assert sent["path"] == "/openai/deployments/my-deployment/chat/completions"
    assert sent["query"] == "api-version=2024-10-21"
    assert sent["headers"]["api-key"] == KEY
    assert "authorization" not in sent["headers"]


def test_unsupported_fields_are_refused_before_sending(
    openai_root: str, behaviour: FakeBehaviour
) -> None:
    for request in (
        chat(messages=[user("x")], modalities=["text", "audio"]),
        chat(messages=[user("x")], functions=[{"name": "f", "parameters": {}}]),
    ):
        with pytest.raises(InvalidRequest) as refused:
            first(provider(openai_root), "m", request)
        assert refused.value.code == "unsupported_parameter"
    assert behaviour.requests == []


# --- faults --------------------------------------------------------------------------------


def test_refused_connection() -> None:
    error = upstream_error(partial(provider(closed_port_url()), "m", chat(messages=[user("x")])))
    assert (error.retryable, error.status, error.code) == (True, 502, "upstream_unreachable")


def test_hang_past_the_timeout(openai_root: str, behaviour: FakeBehaviour) -> None:
    behaviour.fail("hang")
    behaviour.hang_seconds = 10
    up = provider(openai_root, timeout_s=0.3)
    error = upstream_error(partial(up, "m", chat(messages=[user("x")])))
    assert (error.retryable, error.status, error.code) == (True, 504, "upstream_timeout")


def test_server_error_is_raised_by_the_first_delta(
    openai_root: str, behaviour: FakeBehaviour
) -> None:
    behaviour.fail("error500")
    with pytest.raises(UpstreamError) as failed:
        first(provider(openai_root), "m", chat(messages=[user("x")]))
    assert (failed.value.retryable, failed.value.status) == (True, 502)
    assert "HTTP 500" in failed.value.message


def test_rate_limit_carries_retry_after(openai_root: str, behaviour: FakeBehaviour) -> None:
    behaviour.fail("rate_limit")
    behaviour.retry_after = 7
    error = upstream_error(partial(provider(openai_root), "m", chat(messages=[user("x")])))
    assert (error.retryable, error.status, error.retry_after) == (True, 429, 7.0)
    assert error.code == "rate_limit_exceeded"


@pytest.mark.parametrize("mode", ["cut_stream", "garbage_sse"])
def test_broken_streams(openai_root: str, behaviour: FakeBehaviour, mode: Any) -> None:
    behaviour.fail(mode)
    outcome = partial(provider(openai_root), "m", chat(messages=[user("one two three")]))
    error = upstream_error(outcome)
    assert (error.retryable, error.status, error.code) == (True, 502, "upstream_stream_broken")
    assert 1 <= len(outcome) - 1 <= 2  # what arrived before the break was passed on at once


def test_client_errors_pass_through_not_retryable(openai_root: str) -> None:
    # Without /v1 the fake answers OpenAI's own 404 for an unknown URL.
    up = OpenAICompatProvider("oai", settings("openai_compat", openai_root))
    error = upstream_error(partial(up, "m", chat(messages=[user("x")])))
    assert (error.retryable, error.status, error.type) == (False, 404, "invalid_request_error")
    assert error.message == "Invalid URL (POST /chat/completions)"


def test_upstream_400_fields_are_kept(scripted: Scripted, scripted_root: str) -> None:
    body = {
        "error": {
            "message": "bad temp",
            "type": "invalid_request_error",
            "param": "temperature",
            "code": "x",
        }
    }
    scripted.json(400, body)
    error = upstream_error(partial(provider(scripted_root), "m", chat(messages=[user("x")])))
    assert (error.status, error.retryable, error.message) == (400, False, "bad temp")
    assert (error.param, error.code, error.type) == ("temperature", "x", "invalid_request_error")


def test_wrong_key_is_not_the_clients_fault(
    openai_root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTHER_KEY", "sk-wrong-but-secret")
    up = provider(openai_root, api_key_env="OTHER_KEY")
    error = upstream_error(partial(up, "m", chat(messages=[user("x")])))
    assert (error.status, error.code) == (502, "upstream_auth_failed")
    assert "sk-wrong-but-secret" not in error.message


def test_no_key_sends_no_authorization(openai_root: str, behaviour: FakeBehaviour) -> None:
    upstream_error(
        partial(provider(openai_root, api_key_env=None), "m", chat(messages=[user("x")]))
    )
    assert "authorization" not in behaviour.requests[-1]["headers"]


def _chunk(content: str | None = None, finish: str | None = None) -> str:
    delta = {} if content is None else {"content": content}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return f"data: {json.dumps({'choices': [choice]})}\n\n"


def test_error_inside_the_stream(scripted: Scripted, scripted_root: str) -> None:
    scripted.sse(_chunk("Hi"), 'data: {"error": {"message": "engine died", "code": 500}}\n\n')
    outcome = partial(provider(scripted_root), "m", chat(messages=[user("x")]))
    assert outcome[0].text == "Hi"
    error = upstream_error(outcome)
    assert error.retryable and "engine died" in error.message


def test_done_without_a_finish_reason_ends_the_answer_cleanly(
    scripted: Scripted, scripted_root: str
) -> None:
    # Several real servers end with [DONE] and never send a finish_reason.
    scripted.sse(_chunk("Hi"), _chunk(" there"), "data: [DONE]\n\n")
    deltas = collect(provider(scripted_root), "m", chat(messages=[user("x")]))
    assert [(d.text, d.finish_reason) for d in deltas] == [
        ("Hi", None),
        (" there", None),
        ("", "stop"),
    ]


def test_done_with_nothing_before_it_is_broken(scripted: Scripted, scripted_root: str) -> None:
    scripted.sse("data: [DONE]\n\n")
    error = upstream_error(partial(provider(scripted_root), "m", chat(messages=[user("x")])))
    assert error.code == "upstream_stream_broken"


def test_finish_and_text_in_one_chunk_without_usage(scripted: Scripted, scripted_root: str) -> None:
    scripted.sse(": hello\n\n", _chunk("", None), _chunk("Hi", "stop"), "data: [DONE]\n\n")
    deltas = collect(provider(scripted_root), "m", chat(messages=[user("x")]))
    assert [(d.text, d.finish_reason, d.usage) for d in deltas] == [
        ("Hi", None, None),
        ("", "stop", None),
    ]


def test_hanging_up_closes_the_upstream_connection(
    openai_root: str, behaviour: FakeBehaviour
) -> None:
    behaviour.chunk_delay = 0.05

    async def run() -> tuple[str, int]:
        up = provider(openai_root)
        await up.start()
        stream = up.stream_chat("m", chat(messages=[user("one two three")]))
        try:
            got = await anext(stream)
            await getattr(stream, "aclose")()  # noqa: B009 - as the API does on a disconnect
            # The connection is gone, not left to the garbage collector (aiohttp internals,
            # pinned version: idle connections by key, and those in use).
            assert up.http._client is not None
            connector: Any = up.http._client.connector
            idle = sum(len(held) for held in connector._conns.values())
            return got.text, idle + len(connector._acquired)
        finally:
            await up.aclose()

    assert asyncio.run(run()) == ("fake-openai ", 0)


def test_azure_text_completions(openai_root: str, behaviour: FakeBehaviour) -> None:
    up = OpenAICompatProvider("az", settings("azure_openai", f"{openai_root}/"))
    deltas = collect(up, "instruct", text(prompt="a b"))
    assert joined(deltas) == "fake-openai says: a b"
    recorded = behaviour.requests[-1]
    assert recorded["path"] == "/openai/deployments/instruct/completions"
    assert recorded["query"] == "api-version=2024-10-21"


def test_ready_only_between_start_and_close(openai_root: str) -> None:
    async def run() -> list[bool]:
        up = provider(openai_root)
        states = [up.is_ready()]
        await up.start()
        states.append(up.is_ready())
        await up.aclose()
        return [*states, up.is_ready()]

    assert asyncio.run(run()) == [False, True, False]
