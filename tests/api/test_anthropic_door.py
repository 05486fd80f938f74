"""The official `anthropic` SDK against `/v1/messages`: the embedded model, a fake Anthropic
upstream (translation both ways) and a fake OpenAI upstream (across protocols), all through
one gateway process with a virtual key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest

from tests.conftest import wait_for_ledger_row
from tests.fakes.anthropic_server import create_anthropic_fake
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess, keyed_gateway

CONFIG = """
providers:
  claude: {{kind: anthropic, base_url: "{claude}", api_key_env: FAKE_KEY}}
  api: {{kind: openai_compat, base_url: "{openai}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: smollm2-135m-instruct, aliases: [default]}}
  - {{id: claude-fake, provider: claude, upstream_model: claude-sonnet-4-5}}
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
server:
  max_text_chars: 20000
"""
WEATHER = {
    "name": "get_weather",
    "description": "Current weather in a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[FakeBehaviour, FakeBehaviour, str, str]]:
    claude, openai = FakeBehaviour(api_key="test-key"), FakeBehaviour(api_key="test-key")
    with (
        run_fake(create_anthropic_fake(claude)) as claude_url,
        run_fake(create_openai_fake(openai)) as openai_url,
    ):
        yield claude, openai, claude_url, openai_url


@pytest.fixture(scope="module")
def door(
    upstreams: tuple[FakeBehaviour, FakeBehaviour, str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[GatewayProcess, str]]:
    home = tmp_path_factory.mktemp("anthropic-door")
    config = CONFIG.format(claude=upstreams[2], openai=upstreams[3])
    with keyed_gateway(home, config, "anthropic-app", env={"FAKE_KEY": "test-key"}) as (
        gateway,
        keys,
    ):
        yield gateway, keys[0]


@pytest.fixture()
def client(door: tuple[GatewayProcess, str]) -> anthropic.Anthropic:
    gateway, key = door
    return anthropic.Anthropic(base_url=gateway.base_url, api_key=key, max_retries=0, timeout=120)


@pytest.fixture()
def fakes(
    upstreams: tuple[FakeBehaviour, FakeBehaviour, str, str],
) -> tuple[FakeBehaviour, FakeBehaviour]:
    upstreams[0].reset()
    upstreams[1].reset()
    return upstreams[0], upstreams[1]


def test_the_embedded_model_answers_the_sdk(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model="default",
        max_tokens=12,
        system="You are terse.",
        messages=[{"role": "user", "content": "Name three colours."}],
    )
    assert message.type == "message" and message.role == "assistant"
    assert message.model == "smollm2-135m-instruct"
    assert message.content and message.content[0].type == "text"
    assert message.content[0].text
    assert message.stop_reason in ("end_turn", "max_tokens")
    assert 1 <= message.usage.output_tokens <= 12
    assert message.usage.input_tokens > 10
    if message.stop_reason == "max_tokens":
        assert message.usage.output_tokens == 12


def test_multi_turn_with_system_blocks_reaches_anthropic_intact(
    client: anthropic.Anthropic, fakes: tuple[FakeBehaviour, FakeBehaviour]
) -> None:
    claude, _ = fakes
    message = client.messages.create(
        model="claude-fake",
        max_tokens=100,
        system=[{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        messages=[
            {"role": "user", "content": "Hello there"},
            {"role": "assistant", "content": [{"type": "text", "text": "Hi!"}]},
            {"role": "user", "content": [{"type": "text", "text": "Say something kind"}]},
        ],
        metadata={"user_id": "employee-42"},
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == "[system:yes] fake-anthropic says: Say something kind"
    assert message.stop_reason == "end_turn"
    sent = claude.requests[-1]["json"]
    assert sent["system"] == "Be brief."
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    # No guard policy here, so the caller's id goes up as given (`metadata.user_id` = `user`).
    assert sent["metadata"]["user_id"] == "employee-42"


def test_streamed_events_follow_the_documented_sequence(
    door: tuple[GatewayProcess, str], fakes: tuple[FakeBehaviour, FakeBehaviour]
) -> None:
    gateway, key = door
    body = {
        "model": "gpt-fake",
        "max_tokens": 50,
        "stream": True,
        "messages": [{"role": "user", "content": "count one two three"}],
    }
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    events: list[tuple[str, dict[str, Any]]] = []
    url = f"{gateway.base_url}/v1/messages"
    with httpx.stream("POST", url, json=body, headers=headers, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                payload = json.loads(line[6:])
                assert payload["type"] == name
                events.append((name, payload))
    names = [name for name, _ in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert set(names[3:-3]) == {"content_block_delta"}
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    text = "".join(p["delta"]["text"] for n, p in events if n == "content_block_delta")
    assert "count one two three" in text
    final = events[-2][1]
    assert final["delta"]["stop_reason"] == "end_turn"
    assert final["usage"]["output_tokens"] > 0 and final["usage"]["input_tokens"] > 0


def test_sdk_stream_helper_accumulates_the_message(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model="claude-fake",
        max_tokens=100,
        messages=[{"role": "user", "content": "stream these words please"}],
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 1
    assert "".join(pieces) == final.content[0].text  # type: ignore[union-attr]
    assert final.content[0].text.endswith("stream these words please")  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0


@pytest.mark.parametrize("model", ["claude-fake", "gpt-fake"])
@pytest.mark.parametrize("stream", [False, True])
def test_tool_use_round_trip(client: anthropic.Anthropic, model: str, stream: bool) -> None:
    question = [{"role": "user", "content": "What is the weather in Paris?"}]
    ask: dict[str, Any] = {"model": model, "max_tokens": 200, "tools": [WEATHER]}
    if stream:
        with client.messages.stream(messages=question, **ask) as events:  # type: ignore[arg-type]
            kinds = [event.type for event in events]
            first = events.get_final_message()
        assert "input_json" in kinds  # the arguments streamed as input_json_delta pieces
    else:
        first = client.messages.create(messages=question, **ask)  # type: ignore[arg-type]
    assert first.stop_reason == "tool_use"
    calls = [block for block in first.content if block.type == "tool_use"]
    assert len(calls) == 1
    call = calls[0]
    assert call.name == "get_weather" and call.input == {"city": "Paris"}
    result = {"type": "tool_result", "tool_use_id": call.id, "content": "Sunny, 24 C"}
    second = client.messages.create(
        messages=[
            *question,
            {"role": "assistant", "content": first.content},  # type: ignore[list-item]
            {"role": "user", "content": [result]},
        ],
        **ask,  # type: ignore[arg-type]
    )
    assert second.stop_reason == "end_turn"
    assert second.content[0].type == "text" and "Sunny, 24 C" in second.content[0].text


def test_forced_tool_choice_and_stop_sequences(
    client: anthropic.Anthropic, fakes: tuple[FakeBehaviour, FakeBehaviour]
) -> None:
    claude, _ = fakes
    forced = client.messages.create(
        model="claude-fake",
        max_tokens=50,
        tools=[WEATHER],
        tool_choice={"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True},
        messages=[{"role": "user", "content": "Anything at all"}],
    )
    assert forced.stop_reason == "tool_use" and forced.content[-1].type == "tool_use"
    assert claude.requests[-1]["json"]["tool_choice"] == {
        "type": "tool",
        "name": "get_weather",
        "disable_parallel_tool_use": True,
    }
    stopped = client.messages.create(
        model="claude-fake",
        max_tokens=50,
        stop_sequences=["STOP"],
        messages=[{"role": "user", "content": "one two STOP three"}],
    )
    assert stopped.stop_reason == "stop_sequence" and stopped.stop_sequence == "STOP"
    assert "three" not in stopped.content[0].text  # type: ignore[union-attr]


def test_count_tokens_counts_without_generating(
    client: anthropic.Anthropic, fakes: tuple[FakeBehaviour, FakeBehaviour]
) -> None:
    claude, _ = fakes
    messages = [{"role": "user", "content": "How many tokens is this sentence?"}]
    local = client.messages.count_tokens(model="default", messages=messages)  # type: ignore[arg-type]
    answered = client.messages.create(model="default", max_tokens=1, messages=messages)  # type: ignore[arg-type]
    # The embedded engine counts with its own tokenizer and template: the same prompt a
    # generation is charged for.
    assert local.input_tokens == answered.usage.input_tokens
    remote = client.messages.count_tokens(
        model="claude-fake",
        messages=messages,
        tools=[WEATHER],  # type: ignore[arg-type]
    )
    assert (
        remote.input_tokens
        > client.messages.count_tokens(
            model="claude-fake",
            messages=messages,  # type: ignore[arg-type]
        ).input_tokens
    )
    assert claude.requests == []  # counting sent nothing upstream


def test_each_call_is_ledgered_under_the_anthropic_door(door: tuple[GatewayProcess, str]) -> None:
    gateway, key = door
    response = httpx.post(
        f"{gateway.base_url}/v1/messages",
        headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
        json={
            "model": "gpt-fake",
            "max_tokens": 20,
            "messages": [{"role": "user", "content": "hi"}],
        },
        timeout=60,
    )
    assert response.status_code == 200
    row = wait_for_ledger_row(gateway.db_path, response.headers["x-request-id"])
    assert row["endpoint"] == "anthropic.messages"
    assert row["model"] == "gpt-fake" and row["status"] == "ok"
    assert row["prompt_tokens"] > 0 and row["completion_tokens"] > 0


def test_the_embedded_model_says_which_stop_sequence_ended_it(
    client: anthropic.Anthropic,
) -> None:
    free = client.messages.create(
        model="default",
        max_tokens=30,
        extra_body={"temperature": 0},
        messages=[{"role": "user", "content": "Count from one to ten in words."}],
    )
    text = free.content[0].text  # type: ignore[union-attr]
    words = text.split()
    assert len(words) > 2, text
    stop = words[2]  # a word the model will write again, deterministically
    stopped = client.messages.create(
        model="default",
        max_tokens=30,
        extra_body={"temperature": 0},
        stop_sequences=["never-written-xyz", stop],
        messages=[{"role": "user", "content": "Count from one to ten in words."}],
    )
    assert stopped.stop_reason == "stop_sequence"
    assert stopped.stop_sequence == stop
    assert stop not in stopped.content[0].text  # type: ignore[union-attr]


def test_the_embedded_model_calls_a_forced_tool_with_valid_input(
    client: anthropic.Anthropic,
) -> None:
    message = client.messages.create(
        model="default",
        max_tokens=200,
        tools=[WEATHER],
        tool_choice={"type": "any", "disable_parallel_tool_use": True},
        messages=[{"role": "user", "content": "What is the weather in Lyon?"}],
    )
    assert message.stop_reason == "tool_use"
    call = next(block for block in message.content if block.type == "tool_use")
    assert call.name == "get_weather"
    assert isinstance(call.input, dict) and isinstance(call.input.get("city"), str)
