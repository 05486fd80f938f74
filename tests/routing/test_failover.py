"""Routing through a real gateway process to fake upstreams on loopback, with faults injected."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import httpx
import pytest
from openai import OpenAI

from tests.conftest import wait_for_ledger_row
from tests.fakes.anthropic_server import create_anthropic_fake
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import closed_port_url, run_fake
from tests.gateway_process import GatewayProcess

KEY_ENV = {"FAKE_OPENAI_KEY": "test-key", "FAKE_ANTHROPIC_KEY": "test-key"}

CONFIG = """
resilience:
  backoff_base_s: 0.05
  breaker_failures: 1000
providers:
  primary: {{kind: openai_compat, base_url: "{primary}/v1", api_key_env: FAKE_OPENAI_KEY}}
  flaky: {{kind: openai_compat, base_url: "{flaky}/v1", api_key_env: FAKE_OPENAI_KEY,
           timeout_s: 1.0}}
  claude: {{kind: anthropic, base_url: "{claude}", api_key_env: FAKE_ANTHROPIC_KEY}}
  dead: {{kind: openai_compat, base_url: "{dead}/v1", self_hosted: true}}
models:
  # Declared without tool calling, so a tool request on the `tools` route skips it.
  - {{id: smol, aliases: [default], supports_tools: false}}
  - {{id: gpt-fake, provider: primary, upstream_model: gpt-4o-mini}}
  - {{id: flaky-fake, provider: flaky, upstream_model: gpt-4o-mini}}
  - {{id: claude-fake, provider: claude, upstream_model: claude-sonnet-4-5}}
  - {{id: dead-local, provider: dead, upstream_model: whatever}}
routes:
  chat: {{targets: [flaky-fake, claude-fake], retries: 1}}
  tools: {{targets: [smol, gpt-fake]}}
  private: {{targets: [gpt-fake, smol], require: {{self_hosted: true}}}}
  private-down: {{targets: [dead-local, gpt-fake], require: {{self_hosted: true}}}}
  refused-first: {{targets: [dead-local, gpt-fake], retries: 0}}
  nothing-works: {{targets: [dead-local, flaky-fake], retries: 0}}
"""


class Upstreams:
    def __init__(self) -> None:
        self.primary = FakeBehaviour(api_key="test-key")
        self.flaky = FakeBehaviour(api_key="test-key")
        self.claude = FakeBehaviour(api_key="test-key")

    def reset(self) -> None:
        for behaviour in (self.primary, self.flaky, self.claude):
            behaviour.reset()


@pytest.fixture(scope="module")
def upstreams() -> Iterator[Upstreams]:
    yield Upstreams()


@pytest.fixture(scope="module")
def front(
    upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    with (
        run_fake(create_openai_fake(upstreams.primary)) as primary,
        run_fake(create_openai_fake(upstreams.flaky)) as flaky,
        run_fake(create_anthropic_fake(upstreams.claude)) as claude,
    ):
        home = tmp_path_factory.mktemp("front")
        config = home / "switchgear.yaml"
        config.write_text(
            CONFIG.format(primary=primary, flaky=flaky, claude=claude, dead=closed_port_url())
        )
        process = GatewayProcess(home, config, env=KEY_ENV)
        yield process
        process.stop()


@pytest.fixture(autouse=True)
def _fresh(upstreams: Upstreams) -> None:
    upstreams.reset()


def ask(
    front: GatewayProcess, model: str, text: str = "hello there", **extra: object
) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": text}], **extra}
    return httpx.post(f"{front.base_url}/v1/chat/completions", json=body, timeout=60)


def attempts(front: GatewayProcess, request_id: str) -> list[tuple[str, str, int]]:
    wait_for_ledger_row(front.db_path, request_id)
    with sqlite3.connect(front.db_path) as db:
        rows = db.execute(
            "SELECT target, status, http_status FROM attempts "
            "WHERE request_id = ? ORDER BY attempt",
            (request_id,),
        ).fetchall()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_healthy_primary_serves_and_says_so(front: GatewayProcess, upstreams: Upstreams) -> None:
    response = ask(front, "chat")
    assert response.status_code == 200
    assert response.headers["x-switchgear-target"] == "flaky-fake@flaky"
    assert response.json()["choices"][0]["message"]["content"] == "fake-openai says: hello there"
    assert attempts(front, response.headers["x-request-id"]) == [("flaky-fake@flaky", "ok", 200)]


@pytest.mark.parametrize("fault", ["error500", "hang", "rate_limit"])
def test_a_failing_primary_falls_back_and_the_ledger_shows_every_attempt(
    front: GatewayProcess, upstreams: Upstreams, fault: str
) -> None:
    upstreams.flaky.fail(fault)  # type: ignore[arg-type]
    upstreams.flaky.retry_after = 1
    upstreams.flaky.hang_seconds = 5
    response = ask(front, "chat")
    assert response.status_code == 200, response.text
    assert response.headers["x-switchgear-target"] == "claude-fake@claude"
    assert "fake-anthropic says: hello there" in response.json()["choices"][0]["message"]["content"]
    tried = attempts(front, response.headers["x-request-id"])
    assert [t[0] for t in tried] == ["flaky-fake@flaky", "flaky-fake@flaky", "claude-fake@claude"]
    assert [t[1] for t in tried] == ["error", "error", "ok"]
    expected_status = {"error500": 502, "hang": 504, "rate_limit": 429}[fault]
    assert tried[0][2] == expected_status
    row = wait_for_ledger_row(front.db_path, response.headers["x-request-id"])
    assert (row["route"], row["target"], row["status"]) == ("chat", "claude-fake@claude", "ok")


def test_a_429_with_retry_after_is_retried_on_the_same_target(
    front: GatewayProcess, upstreams: Upstreams
) -> None:
    upstreams.flaky.fail("rate_limit", times=1)
    response = ask(front, "chat")
    assert response.status_code == 200
    assert response.headers["x-switchgear-target"] == "flaky-fake@flaky"
    tried = attempts(front, response.headers["x-request-id"])
    assert tried == [("flaky-fake@flaky", "error", 429), ("flaky-fake@flaky", "ok", 200)]
    assert len(upstreams.claude.requests) == 0


def test_a_refused_connection_falls_back(front: GatewayProcess, upstreams: Upstreams) -> None:
    response = ask(front, "refused-first")
    assert response.status_code == 200
    assert response.headers["x-switchgear-target"] == "gpt-fake@primary"
    assert [t[:2] for t in attempts(front, response.headers["x-request-id"])] == [
        ("dead-local@dead", "error"),
        ("gpt-fake@primary", "ok"),
    ]


def test_when_every_target_fails_the_client_gets_one_clean_error(
    front: GatewayProcess, upstreams: Upstreams
) -> None:
    upstreams.flaky.fail("error500")
    response = ask(front, "nothing-works")
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "all_targets_failed"
    assert "dead-local@dead" in error["message"] and "flaky-fake@flaky" in error["message"]
    assert len(attempts(front, response.headers["x-request-id"])) == 2
    assert ask(front, "default", max_tokens=2).status_code == 200


def _stream_events(front: GatewayProcess, model: str) -> list[dict[str, object]]:
    body = {
        "model": model,
        "messages": [{"role": "user", "content": "one two three four"}],
        "stream": True,
    }
    with httpx.stream("POST", f"{front.base_url}/v1/chat/completions", json=body, timeout=60) as r:
        assert r.status_code == 200
        return [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: {")]


@pytest.mark.parametrize("fault", ["cut_stream", "garbage_sse"])
def test_a_stream_broken_after_the_first_token_ends_with_an_error_event(
    front: GatewayProcess, upstreams: Upstreams, fault: str
) -> None:
    upstreams.flaky.fail(fault)  # type: ignore[arg-type]
    events = _stream_events(front, "chat")
    texts = [
        e["choices"][0]["delta"].get("content")
        for e in events  # type: ignore[index]
        if e.get("choices")
    ]
    assert any(texts), "the tokens before the break reach the client"
    assert "error" in events[-1]
    assert len(upstreams.claude.requests) == 0, "no silent switch after the first token"


def test_streaming_passes_through_chunk_by_chunk(front: GatewayProcess) -> None:
    events = _stream_events(front, "gpt-fake")
    pieces = [
        e["choices"][0]["delta"].get("content")
        for e in events  # type: ignore[index]
        if e.get("choices")
    ]
    words = [p for p in pieces if p]
    # One upstream chunk per word reaches the client as one chunk: nothing is buffered.
    assert "".join(words) == "fake-openai says: one two three four"  # type: ignore[arg-type]
    assert len(words) == 6


def test_a_self_hosted_route_never_calls_an_external_provider(
    front: GatewayProcess, upstreams: Upstreams
) -> None:
    response = ask(front, "private", max_tokens=3)
    assert response.status_code == 200
    assert response.headers["x-switchgear-target"] == "smol@local"
    down = ask(front, "private-down")
    assert down.status_code == 503
    assert down.json()["error"]["code"] == "no_self_hosted_target"
    assert upstreams.primary.requests == []


def test_tool_calls_pass_through_the_official_client(front: GatewayProcess) -> None:
    client = OpenAI(base_url=f"{front.base_url}/v1", api_key="unused", max_retries=0)
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    # The `tools` route lists the local model first; it is declared without tools: skipped.
    reply = client.chat.completions.create(
        model="tools",
        messages=[{"role": "user", "content": "weather in Paris?"}],
        tools=tools,  # type: ignore[arg-type]
    )
    call = reply.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert reply.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert "city" in json.loads(call.function.arguments)  # type: ignore[union-attr]
    stream = client.chat.completions.create(
        model="tools",
        messages=[{"role": "user", "content": "weather in Paris?"}],
        tools=tools,  # type: ignore[arg-type]
        stream=True,
    )
    arguments = ""
    names = []
    for chunk in stream:
        for piece in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
            arguments += piece.function.arguments or "" if piece.function else ""
            if piece.function and piece.function.name:
                names.append(piece.function.name)
    assert names == ["get_weather"]
    assert "city" in json.loads(arguments)


def test_anthropic_answers_through_the_openai_client(
    front: GatewayProcess, upstreams: Upstreams
) -> None:
    client = OpenAI(base_url=f"{front.base_url}/v1", api_key="unused", max_retries=0)
    reply = client.chat.completions.create(
        model="claude-fake",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        max_tokens=50,
    )
    assert reply.choices[0].message.content == "[system:yes] fake-anthropic says: hi"
    assert reply.usage is not None and reply.usage.completion_tokens > 0
    sent = upstreams.claude.requests[-1]["json"]
    assert sent["system"] in ("Be brief.", [{"type": "text", "text": "Be brief."}])
    assert [m["role"] for m in sent["messages"]] == ["user"]


def test_unknown_alias_lists_the_known_ones(front: GatewayProcess) -> None:
    response = ask(front, "no-such-route")
    assert response.status_code == 404
    message = response.json()["error"]["message"]
    for name in ("chat", "private", "gpt-fake", "smol", "default"):
        assert name in message


def test_routes_command_shows_targets_and_health(front: GatewayProcess) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "switchgear.cli", "routes", "--url", f"{front.base_url}/v1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "flaky-fake@flaky" in result.stdout
    assert "closed" in result.stdout
    assert "health unknown" not in result.stdout
