"""A chat request that names an MCP server among its tools: the gateway offers that server's
tools to the model, runs the call the model makes, and answers with what the model made of
the result. Every step is its own ledgered trip, charged to the caller's key."""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess, keyed_gateway
from tests.mcp_gateway.conftest import TOOL_SERVER

CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{upstream}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: ext, provider: api, upstream_model: gpt-4o-mini}}
mcp:
  max_tool_steps: 3
  servers:
    py: {{command: "{python}", args: ["{tool_server}"]}}
"""
ASK = [{"role": "user", "content": "What is the weather in Paris?"}]
PY_WEATHER = {"type": "mcp", "server_label": "py", "allowed_tools": ["weather"]}


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[FakeBehaviour, str]]:
    behaviour = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(behaviour)) as url:
        yield behaviour, url


@pytest.fixture(scope="module")
def looping(
    upstream: tuple[FakeBehaviour, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayProcess, str]]:
    home = tmp_path_factory.mktemp("tool-loop")
    config = CONFIG.format(upstream=upstream[1], python=sys.executable, tool_server=TOOL_SERVER)
    with keyed_gateway(home, config, "loop", env={"FAKE_KEY": "test-key"}) as (gateway, keys):
        yield gateway, keys[0]


def endpoints_since(db: Any, since: float, want: int) -> list[str]:
    deadline = time.monotonic() + 10
    found: list[str] = []
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as conn:
            found = [
                r[0]
                for r in conn.execute(
                    "SELECT endpoint FROM usage WHERE created_at >= ? ORDER BY created_at",
                    (since,),
                )
            ]
        if len(found) >= want:
            break
        time.sleep(0.05)
    return found


@pytest.mark.parametrize("stream", [False, True])
def test_the_gateway_runs_the_mcp_call_and_the_model_answers_from_its_result(
    looping: tuple[GatewayProcess, str], upstream: tuple[FakeBehaviour, str], stream: bool
) -> None:
    gateway, key = looping
    fake = upstream[0]
    fake.reset()
    client = OpenAI(base_url=f"{gateway.base_url}/v1", api_key=key, max_retries=0)
    since = time.time()
    if stream:
        chunks = list(
            client.chat.completions.create(
                model="ext",
                messages=ASK,
                tools=[PY_WEATHER],
                stream=True,  # type: ignore[list-item]
            )
        )
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        finish = [c.choices[0].finish_reason for c in chunks if c.choices][-1]
    else:
        reply = client.chat.completions.create(model="ext", messages=ASK, tools=[PY_WEATHER])  # type: ignore[list-item]
        text, finish = reply.choices[0].message.content or "", reply.choices[0].finish_reason
    assert text == "fake-openai says: Sunny in Paris."
    assert finish == "stop"
    # The model was offered the server's tool as a function, under its served name.
    offered = fake.requests[0]["json"]["tools"]
    assert [t["function"]["name"] for t in offered] == ["py__weather"]
    second = fake.requests[1]["json"]["messages"]
    assert second[-1] == {
        "role": "tool",
        "tool_call_id": second[-2]["tool_calls"][0]["id"],
        "content": "Sunny in Paris.",
    }
    steps = endpoints_since(gateway.db_path, since, 4)
    assert sorted(steps) == sorted(
        ["mcp.tools.list", "chat.completions", "mcp.tools.call", "chat.completions"]
    )


def test_an_unknown_server_or_an_approval_flow_is_a_clear_400(
    looping: tuple[GatewayProcess, str],
) -> None:
    gateway, key = looping
    for tool, param in (
        ({"type": "mcp", "server_label": "nowhere"}, "tools[0].server_label"),
        (
            {"type": "mcp", "server_label": "py", "require_approval": "always"},
            "tools[0].require_approval",
        ),
    ):
        response = httpx.post(
            f"{gateway.base_url}/v1/chat/completions",
            headers={"authorization": f"Bearer {key}"},
            json={"model": "ext", "messages": ASK, "tools": [tool]},
            timeout=60,
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"]["param"] == param


def test_the_loop_is_bounded(
    looping: tuple[GatewayProcess, str], upstream: tuple[FakeBehaviour, str]
) -> None:
    """A model that keeps calling (`tool_choice: required`) gets `max_tool_steps` rounds, then
    is asked to answer without tools."""
    gateway, key = looping
    fake = upstream[0]
    fake.reset()
    response = httpx.post(
        f"{gateway.base_url}/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": "ext", "messages": ASK, "tools": [PY_WEATHER], "tool_choice": "required"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-switchgear-tool-calls"] == "3"
    assert len(fake.requests) == 4
    assert fake.requests[-1]["json"]["tool_choice"] == "none"
    assert (
        response.json()["choices"][0]["message"]["content"] == "fake-openai says: Sunny in Paris."
    )


@pytest.mark.parametrize("stream", [False, True])
def test_a_response_reports_the_gateways_mcp_work_as_items(
    looping: tuple[GatewayProcess, str], stream: bool
) -> None:
    gateway, key = looping
    client = OpenAI(base_url=f"{gateway.base_url}/v1", api_key=key, max_retries=0)
    ask: dict[str, Any] = {"model": "ext", "input": ASK[0]["content"], "tools": [PY_WEATHER]}
    if stream:
        events = list(client.responses.create(stream=True, **ask))
        response = events[-1].response  # type: ignore[union-attr]
        added = [e.item.type for e in events if e.type == "response.output_item.added"]  # type: ignore[union-attr]
        assert added == ["mcp_list_tools", "mcp_call", "message"]
    else:
        response = client.responses.create(**ask)
    listed, call, message = response.output
    assert listed.type == "mcp_list_tools" and listed.server_label == "py"
    assert [tool.name for tool in listed.tools] == ["weather"]
    assert call.type == "mcp_call" and call.name == "weather"
    assert call.output == "Sunny in Paris." and call.error is None
    assert message.type == "message"
    assert response.output_text == "fake-openai says: Sunny in Paris."
    # Continuing the stored conversation works: the MCP items are history, not input.
    followed = client.responses.create(
        model="ext", input="thanks", previous_response_id=response.id
    )
    assert followed.output_text == "fake-openai says: thanks"


def test_several_choices_with_gateway_run_tools_are_refused_and_recorded(
    looping: tuple[GatewayProcess, str], upstream: tuple[FakeBehaviour, str]
) -> None:
    gateway, key = looping
    fake = upstream[0]
    fake.reset()
    client = OpenAI(base_url=f"{gateway.base_url}/v1", api_key=key, max_retries=0)
    since = time.time()
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="ext", messages=ASK, tools=[PY_WEATHER], n=2)  # type: ignore[list-item]
    assert refused.value.body["param"] == "n"  # type: ignore[index]
    assert fake.requests == []  # nothing reached the model or the tool's server
    assert endpoints_since(gateway.db_path, since, 1) == ["chat.completions"]
