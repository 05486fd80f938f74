"""The OpenAI Agents SDK runs an agent with a function tool through the gateway's
`/v1/responses`, against a fake OpenAI upstream that calls the tool when asked about the
weather and then answers with the tool's result (`fakes/openai_server.py`).

What the SDK (0.24.0) sends: `POST /v1/responses` with `instructions`, `input` (a user
message; on the next turn the `function_call` item with its `id` and `status`, then the
`function_call_output`), `tools` (strict function tools), `include: []`, `stream` for a
streamed run, and `previous_response_id` with only the new items when the run keeps the
conversation on the server (`auto_previous_response_id`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import pytest
from agents import (
    Agent,
    OpenAIResponsesModel,
    Runner,
    function_tool,
    set_default_openai_client,
    set_tracing_disabled,
)
from openai import AsyncOpenAI

from tests.conftest import ledger_rows
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess, keyed_gateway

CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{openai}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
"""
QUESTION = "What is the weather in Paris?"


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[FakeBehaviour, str]]:
    behaviour = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(behaviour)) as url:
        yield behaviour, url


@pytest.fixture(scope="module")
def door(
    upstream: tuple[FakeBehaviour, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayProcess, str]]:
    home = tmp_path_factory.mktemp("agents-sdk-door")
    config = CONFIG.format(openai=upstream[1])
    with keyed_gateway(home, config, "agents-sdk", env={"FAKE_KEY": "test-key"}) as (gateway, keys):
        yield gateway, keys[0]


async def run_agent(
    gateway: GatewayProcess, key: str, how: Literal["run", "streamed", "server_history"]
) -> tuple[str, list[str], list[dict[str, Any]]]:
    """The agent's final output, the cities its tool was called with, and the bodies the
    SDK sent."""
    cities: list[str] = []
    sent: list[dict[str, Any]] = []

    async def record(request: httpx.Request) -> None:
        sent.append(json.loads(request.content))

    @function_tool
    def get_weather(city: str) -> str:
        """Current weather in a city."""
        cities.append(city)
        return f"Sunny, 24 C in {city}"

    http = httpx.AsyncClient(event_hooks={"request": [record]}, timeout=60)
    client = AsyncOpenAI(
        base_url=f"{gateway.base_url}/v1", api_key=key, max_retries=0, http_client=http
    )
    set_default_openai_client(client, use_for_tracing=False)
    set_tracing_disabled(True)  # traces would go to OpenAI's servers
    agent = Agent(
        name="forecaster",
        instructions="Answer with the weather tool.",
        tools=[get_weather],
        model=OpenAIResponsesModel(model="gpt-fake", openai_client=client),
    )
    try:
        if how == "streamed":
            streamed = Runner.run_streamed(agent, QUESTION)
            kinds = [event.type async for event in streamed.stream_events()]
            assert "raw_response_event" in kinds and "run_item_stream_event" in kinds
            return str(streamed.final_output), cities, sent
        result = await Runner.run(
            agent, QUESTION, auto_previous_response_id=how == "server_history"
        )
        return str(result.final_output), cities, sent
    finally:
        await client.close()


@pytest.mark.parametrize("how", ["run", "streamed", "server_history"])
def test_an_agent_calls_its_tool_through_the_gateway(
    door: tuple[GatewayProcess, str],
    upstream: tuple[FakeBehaviour, str],
    how: Literal["run", "streamed", "server_history"],
) -> None:
    gateway, key = door
    behaviour = upstream[0]
    behaviour.reset()
    final, cities, sent = asyncio.run(asyncio.wait_for(run_agent(gateway, key, how), timeout=120))

    assert cities == ["Paris"]
    assert final == "fake-openai says: Sunny, 24 C in Paris"

    assert len(sent) == 2
    assert all(body.get("stream", False) is (how == "streamed") for body in sent)
    kinds = [item.get("type", "message") for item in sent[1]["input"]]
    if how == "server_history":
        # Only the tool's output goes back; the gateway rebuilds the rest from its store.
        assert sent[1]["previous_response_id"].startswith("resp_")
        assert kinds == ["function_call_output"]
    else:
        assert "previous_response_id" not in sent[1]
        assert kinds == ["message", "function_call", "function_call_output"]

    first, second = (r["json"] for r in behaviour.requests)
    assert first["messages"] == [
        {"role": "system", "content": "Answer with the weather tool."},
        {"role": "user", "content": QUESTION},
    ]
    assert first["tools"][0]["function"]["name"] == "get_weather"
    call, result = second["messages"][-2:]
    assert call["role"] == "assistant"
    assert call["tool_calls"][0]["function"]["name"] == "get_weather"
    assert result == {
        "role": "tool",
        "tool_call_id": call["tool_calls"][0]["id"],
        "content": "Sunny, 24 C in Paris",
    }
    assert first["stream"] is second["stream"] is True  # the gateway streams from upstreams
    rows = ledger_rows(gateway.db_path, "endpoint = 'responses' AND http_status = 200")
    assert len(rows) >= 2
