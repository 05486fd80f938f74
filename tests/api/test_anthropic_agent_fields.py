"""What Claude Code sends beyond the basic Messages API (see tests/clients/test_claude_code.py),
through a real gateway to an Anthropic and an OpenAI upstream: `role: "system"` turns between
the others, tools marked `defer_loading`, `output_config` (effort, JSON format), the beta
query and headers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.agent_script import AgentScript, create_agent_fake
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess, keyed_gateway

CONFIG = """
providers:
  claude: {{kind: anthropic, base_url: "{url}", api_key_env: FAKE_KEY}}
  api: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: claude-fake, provider: claude, upstream_model: claude-sonnet-4-5}}
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
"""
BASH = {
    "name": "Bash",
    "description": "Run a command",
    "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}},
}
DEFERRED = {
    "name": "WebFetch",
    "description": "Fetch a page",
    "input_schema": {"type": "object", "properties": {"url": {"type": "string"}}},
    "defer_loading": True,
}
ENVIRONMENT = {
    "role": "system",
    "content": [{"type": "text", "text": "# Environment", "cache_control": {"type": "ephemeral"}}],
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[FakeBehaviour, str]]:
    behaviour = FakeBehaviour(api_key="test-key")
    with run_fake(create_agent_fake(behaviour, AgentScript(tools=[], plain="ok"))) as url:
        yield behaviour, url


@pytest.fixture(scope="module")
def door(
    upstream: tuple[FakeBehaviour, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayProcess, str]]:
    home = tmp_path_factory.mktemp("anthropic-agent-fields")
    config = CONFIG.format(url=upstream[1])
    with keyed_gateway(home, config, "agent", env={"FAKE_KEY": "test-key"}) as (gateway, keys):
        yield gateway, keys[0]


@pytest.fixture()
def fake(upstream: tuple[FakeBehaviour, str]) -> FakeBehaviour:
    upstream[0].reset()
    return upstream[0]


def post(door: tuple[GatewayProcess, str], body: dict[str, Any]) -> httpx.Response:
    gateway, key = door
    headers = {
        "x-api-key": key,
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "claude-code-20250219,context-management-2025-06-27,effort-2025-11-24",
    }
    url = f"{gateway.base_url}/v1/messages?beta=true"
    return httpx.post(url, json={"max_tokens": 100, **body}, headers=headers, timeout=60)


def test_claude_codes_extra_fields_are_taken(
    door: tuple[GatewayProcess, str], fake: FakeBehaviour
) -> None:
    response = post(
        door,
        {
            "model": "gpt-fake",
            "messages": [{"role": "user", "content": "hi"}],
            "thinking": {"type": "adaptive", "display": "omitted"},
            "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
            "output_config": {"effort": "high"},
            "metadata": {"user_id": '{"device_id":"d","session_id":"s"}'},
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["content"] == [{"type": "text", "text": "ok"}]
    sent = fake.requests[0]["json"]
    # Effort and thinking tune Anthropic's own models; nothing of them goes to another one.
    assert not {"reasoning_effort", "thinking", "output_config"} & set(sent)


@pytest.mark.parametrize("model", ["gpt-fake", "claude-fake"])
def test_a_system_turn_between_the_others_reaches_the_model(
    door: tuple[GatewayProcess, str], fake: FakeBehaviour, model: str
) -> None:
    body = {
        "model": model,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Create a file"}, ENVIRONMENT],
    }
    assert post(door, body).status_code == 200
    sent = fake.requests[0]["json"]
    if model == "gpt-fake":
        assert sent["messages"] == [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Create a file"},
            {"role": "system", "content": "# Environment"},
        ]
    else:
        # Anthropic takes system text in one place only: it joins the top-level system.
        assert sent["system"] == "Be brief.\n\n# Environment"
        assert [m["role"] for m in sent["messages"]] == ["user"]


def test_a_system_turn_holds_text_only(door: tuple[GatewayProcess, str]) -> None:
    image = {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
    body = {
        "model": "gpt-fake",
        "messages": [{"role": "user", "content": "hi"}, {"role": "system", "content": [image]}],
    }
    response = post(door, body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "messages.1.content" in response.json()["error"]["message"]


def test_deferred_tools_stay_out_unless_forced(
    door: tuple[GatewayProcess, str], fake: FakeBehaviour
) -> None:
    question = [{"role": "user", "content": "hi"}]
    forced = {"type": "tool", "name": "WebFetch"}
    body = {"model": "gpt-fake", "messages": question, "tools": [BASH, DEFERRED]}
    assert post(door, body).status_code == 200
    assert post(door, {**body, "tool_choice": forced}).status_code == 200
    loose, pinned = (r["json"] for r in fake.requests)
    assert [t["function"]["name"] for t in loose["tools"]] == ["Bash"]
    assert [t["function"]["name"] for t in pinned["tools"]] == ["Bash", "WebFetch"]
    assert pinned["tool_choice"] == {"type": "function", "function": {"name": "WebFetch"}}


def test_an_output_format_asks_for_json(
    door: tuple[GatewayProcess, str], fake: FakeBehaviour
) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    fmt = {"type": "json_schema", "schema": schema}
    question = [{"role": "user", "content": "A number"}]
    body = {"model": "gpt-fake", "messages": question, "output_config": {"format": fmt}}
    assert post(door, body).status_code == 200
    assert fake.requests[0]["json"]["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "output", "schema": schema},
    }
    bad = {**body, "output_config": {"format": {"type": "yaml"}}}
    refused = post(door, bad)
    assert refused.status_code == 400
    assert "output_config.format" in refused.json()["error"]["message"]
