"""The Responses door's tool translation (`schema/responses_tools.py`) through a real gateway
and a scripted upstream that speaks chat completions: freeform `custom` tools, `namespace`
tools and `local_shell` go up as functions and come back as the items the caller expects;
hosted tools are left out and named in `x-switchgear-dropped-tools`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openai import OpenAI

from tests.fakes.agent_script import AgentScript, create_agent_fake
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess, keyed_gateway

CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
"""
PATCH = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n"
APPLY_PATCH = {
    "type": "custom",
    "name": "apply_patch",
    "description": "Edit files with a patch.",
    "format": {"type": "grammar", "syntax": "lark", "definition": 'start: "*** Begin Patch" /.+/s'},
}
FILES = {
    "type": "namespace",
    "name": "mcp__files__",
    "description": "File tools.",
    "tools": [
        {
            "type": "function",
            "name": "read",
            "description": "Read a file.",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
        }
    ],
}
SCRIPT = AgentScript(tools=[], final="Done:")


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[FakeBehaviour, str]]:
    behaviour = FakeBehaviour(api_key="test-key")
    with run_fake(create_agent_fake(behaviour, SCRIPT)) as url:
        yield behaviour, url


@pytest.fixture(scope="module")
def door(
    upstream: tuple[FakeBehaviour, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayProcess, str]]:
    home = tmp_path_factory.mktemp("responses-tools")
    config = CONFIG.format(url=upstream[1])
    with keyed_gateway(home, config, "tools", env={"FAKE_KEY": "test-key"}) as (gateway, keys):
        yield gateway, keys[0]


@pytest.fixture()
def fake(upstream: tuple[FakeBehaviour, str]) -> FakeBehaviour:
    upstream[0].reset()
    return upstream[0]


def post(door: tuple[GatewayProcess, str], body: dict[str, Any]) -> httpx.Response:
    gateway, key = door
    headers = {"authorization": f"Bearer {key}"}
    return httpx.post(f"{gateway.base_url}/v1/responses", json=body, headers=headers, timeout=60)


def script(tool: str, arguments: dict[str, Any]) -> None:
    SCRIPT.tools, SCRIPT.arguments = [tool], arguments


def test_a_custom_tool_call_comes_back_with_its_free_text(
    door: tuple[GatewayProcess, str], fake: FakeBehaviour
) -> None:
    script("apply_patch", {"input": PATCH})
    question = {"role": "user", "content": "Add a.txt"}
    response = post(door, {"model": "gpt-fake", "input": [question], "tools": [APPLY_PATCH]})
    assert response.status_code == 200, response.text
    (call,) = response.json()["output"]
    assert call == {
        "type": "custom_tool_call",
        "id": call["id"],
        "call_id": call["call_id"],
        "name": "apply_patch",
        "input": PATCH,
        "status": "completed",
    }
    (function,) = fake.requests[0]["json"]["tools"]
    assert function["function"]["name"] == "apply_patch"
    parameters = function["function"]["parameters"]
    assert parameters["required"] == ["input"]
    assert APPLY_PATCH["format"]["definition"] in parameters["properties"]["input"]["description"]

    output = {"type": "custom_tool_call_output", "call_id": call["call_id"], "output": "applied"}
    body = {"model": "gpt-fake", "input": [question, call, output], "tools": [APPLY_PATCH]}
    answer = post(door, body).json()
    assert answer["output"][0]["content"][0]["text"] == "Done: applied"
    sent = fake.requests[1]["json"]["messages"]
    assert sent[-2]["tool_calls"][0]["function"] == {
        "name": "apply_patch",
        "arguments": json.dumps({"input": PATCH}, separators=(",", ":")),
    }
    assert sent[-1] == {"role": "tool", "tool_call_id": call["call_id"], "content": "applied"}


def test_a_streamed_custom_tool_call_sends_its_input_events(
    door: tuple[GatewayProcess, str], fake: FakeBehaviour
) -> None:
    script("apply_patch", {"input": PATCH})
    gateway, key = door
    client = OpenAI(base_url=f"{gateway.base_url}/v1", api_key=key, max_retries=0)
    events = list(
        client.responses.create(
            model="gpt-fake",
            input="Add a.txt",
            tools=[APPLY_PATCH],  # type: ignore[list-item]
            stream=True,
        )
    )
    kinds = [event.type for event in events]
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.custom_tool_call_input.delta",
        "response.custom_tool_call_input.done",
        "response.output_item.done",
        "response.completed",
    ]
    done = events[-2]
    assert done.item.type == "custom_tool_call"  # type: ignore[union-attr]
    assert done.item.input == PATCH  # type: ignore[union-attr]
    final = events[-1].response.output  # type: ignore[union-attr]
    assert [item.type for item in final] == ["custom_tool_call"]


def test_a_namespaced_call_comes_back_split(
    door: tuple[GatewayProcess, str], fake: FakeBehaviour
) -> None:
    script("mcp__files__read", {"path": "a.txt"})
    question = {"role": "user", "content": "Read a.txt"}
    response = post(door, {"model": "gpt-fake", "input": [question], "tools": [FILES]})
    (call,) = response.json()["output"]
    assert (call["type"], call["namespace"], call["name"]) == (
        "function_call",
        FILES["name"],
        "read",
    )
    assert json.loads(call["arguments"]) == {"path": "a.txt"}
    assert [t["function"]["name"] for t in fake.requests[0]["json"]["tools"]] == [
        "mcp__files__read"
    ]

    output = {"type": "function_call_output", "call_id": call["call_id"], "output": "hi"}
    post(door, {"model": "gpt-fake", "input": [question, call, output], "tools": [FILES]})
    assert fake.requests[1]["json"]["messages"][-2]["tool_calls"][0]["function"]["name"] == (
        "mcp__files__read"
    )


def test_a_local_shell_call_comes_back_as_an_exec_action(
    door: tuple[GatewayProcess, str], fake: FakeBehaviour
) -> None:
    script("local_shell", {"command": ["echo", "hi"], "workdir": "/tmp"})
    question = {"role": "user", "content": "Say hi"}
    tools = [{"type": "local_shell"}]
    (call,) = post(door, {"model": "gpt-fake", "input": [question], "tools": tools}).json()[
        "output"
    ]
    assert call["type"] == "local_shell_call"
    assert call["action"] == {
        "type": "exec",
        "env": {},
        "command": ["echo", "hi"],
        "workdir": "/tmp",
    }

    output = {"type": "local_shell_call_output", "id": call["call_id"], "output": "hi\n"}
    body = {"model": "gpt-fake", "input": [question, call, output], "tools": tools}
    answer = post(door, body).json()
    assert answer["output"][0]["content"][0]["text"] == "Done: hi"
    last = fake.requests[1]["json"]["messages"][-1]
    assert last == {"role": "tool", "tool_call_id": call["call_id"], "content": "hi\n"}


def test_hosted_tools_are_left_out_and_named(
    door: tuple[GatewayProcess, str], fake: FakeBehaviour
) -> None:
    script("apply_patch", {"input": PATCH})
    tools = [{"type": "web_search"}, APPLY_PATCH, {"type": "file_search", "vector_store_ids": []}]
    history = [
        {"role": "user", "content": "Look it up"},
        # An earlier turn served by OpenAI itself: its search means nothing to another model.
        {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {}},
        {"role": "assistant", "content": "Found it."},
        {"role": "user", "content": "Now patch"},
    ]
    response = post(door, {"model": "gpt-fake", "input": history, "tools": tools})
    assert response.status_code == 200, response.text
    assert response.headers["x-switchgear-dropped-tools"] == "web_search, file_search"
    sent = fake.requests[0]["json"]
    assert [t["function"]["name"] for t in sent["tools"]] == ["apply_patch"]
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    # The reply still lists the tools as asked, like OpenAI's.
    assert response.json()["tools"] == tools

    plain = post(door, {"model": "gpt-fake", "input": "hi", "tools": [APPLY_PATCH]})
    assert "x-switchgear-dropped-tools" not in plain.headers


def test_a_forced_hosted_tool_is_refused(
    door: tuple[GatewayProcess, str], fake: FakeBehaviour
) -> None:
    body = {
        "model": "gpt-fake",
        "input": "Look it up",
        "tools": [{"type": "web_search"}, APPLY_PATCH],
        "tool_choice": {"type": "web_search"},
    }
    response = post(door, body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "tool_choice"
    assert fake.requests == []
