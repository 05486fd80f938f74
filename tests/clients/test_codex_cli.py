"""Codex CLI, the real program, runs one-step tasks through the gateway's `/v1/responses`,
offline: a custom model provider in a temporary `CODEX_HOME` points at the gateway, which
routes to a scripted model (`fakes/agent_script.py`, OpenAI chat wire format) that calls one
of Codex's tools and then answers with the tool's output. Codex runs the tool for real.

Codex picks its tools by model name. For a name it does not know (`gpt-fake`) it offers
`exec_command` and other function tools, a `namespace` of sub-agent tools and the hosted
`web_search`; for one it knows (`gpt-5.5`) also the freeform `custom` tool `apply_patch`
(a Lark grammar) and a client-run `tool_search`. The gateway forwards the function, namespace
and custom tools (see `schema/responses_tools.py`) and leaves out `web_search` and
`tool_search`, which no other model can serve.

What Codex 0.171.0 sends: only `POST /v1/responses`, streamed, with `store: false` (the whole
conversation every turn), `reasoning`, `include: ["reasoning.encrypted_content"]`,
`prompt_cache_key`, `parallel_tool_calls: true`, `text.verbosity`, `client_metadata`, input
`message` items with ids and the `developer` role, and on the next turn the `function_call` /
`custom_tool_call` item with its `*_output`; headers `originator: codex_exec`, `session-id`,
`x-codex-turn-metadata` and others the gateway has no use for.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clients.npm_tools import npm_tool
from tests.conftest import ledger_rows
from tests.fakes.agent_script import AgentScript, create_agent_fake
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess, keyed_gateway

VERSION = "0.171.0"
CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
  # Named as a model Codex knows, so that it offers its freeform apply_patch tool.
  - {{id: gpt-5.5, provider: api, upstream_model: gpt-4o-mini}}
"""
# Offline: no update check, analytics or plugin sync (which reach github.com and chatgpt.com),
# and no retries that would hide a refusal behind "Reconnecting...".
CODEX_CONFIG = """
model = "{model}"
model_provider = "switchgear"
check_for_update_on_startup = false

[analytics]
enabled = false

[features]
plugins = false

[model_providers.switchgear]
name = "Switchgear"
base_url = "{base_url}/v1"
env_key = "SWITCHGEAR_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
"""
COMMAND = "echo hello-from-tool > out.txt && cat out.txt"
PATCH = "*** Begin Patch\n*** Add File: out.txt\n+hello-from-patch\n*** End Patch\n"
SCRIPT = AgentScript(tools=[], final="Done:")


@pytest.fixture(scope="module")
def codex() -> Path:
    return npm_tool("@openai/codex", VERSION, "codex")


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[FakeBehaviour, str]]:
    behaviour = FakeBehaviour(api_key="test-key")
    with run_fake(create_agent_fake(behaviour, SCRIPT)) as url:
        yield behaviour, url


@pytest.fixture(scope="module")
def door(
    upstream: tuple[FakeBehaviour, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayProcess, str]]:
    home = tmp_path_factory.mktemp("codex-door")
    config = CONFIG.format(url=upstream[1])
    with keyed_gateway(home, config, "codex", env={"FAKE_KEY": "test-key"}) as (gateway, keys):
        yield gateway, keys[0]


def run_codex(
    codex: Path, gateway: GatewayProcess, key: str, model: str, where: Path
) -> list[dict[str, Any]]:
    """`codex exec --json`'s events, one JSON object a line."""
    home, codex_home, work = where / "home", where / "home" / ".codex", where / "work"
    codex_home.mkdir(parents=True)
    work.mkdir()
    (codex_home / "config.toml").write_text(
        CODEX_CONFIG.format(model=model, base_url=gateway.base_url)
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "CODEX_HOME": str(codex_home),
        "SWITCHGEAR_API_KEY": key,
    }
    # The bypass runs the command without Codex's sandbox (bubblewrap/landlock), which a CI
    # container may not offer; the command only writes into the temporary working folder.
    args = [str(codex), "exec", "--strict-config", "--skip-git-repo-check", "--json"]
    args += ["--dangerously-bypass-approvals-and-sandbox", "Create out.txt saying hello."]
    done = subprocess.run(
        args,
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def completed(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [
        e["item"] for e in events if e["type"] == "item.completed" and e["item"]["type"] == kind
    ]


def upstream_tools(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["function"]["name"]: t["function"] for t in body["tools"]}


def test_codex_runs_a_shell_command_through_the_gateway(
    codex: Path,
    door: tuple[GatewayProcess, str],
    upstream: tuple[FakeBehaviour, str],
    tmp_path: Path,
) -> None:
    gateway, key = door
    behaviour = upstream[0]
    behaviour.reset()
    SCRIPT.tools, SCRIPT.arguments = ["exec_command"], {"cmd": COMMAND}
    events = run_codex(codex, gateway, key, "gpt-fake", tmp_path)

    assert (tmp_path / "work" / "out.txt").read_text() == "hello-from-tool\n"
    (command,) = completed(events, "command_execution")
    assert command["exit_code"] == 0 and command["aggregated_output"] == "hello-from-tool\n"
    (answer,) = completed(events, "agent_message")
    assert answer["text"].startswith("Done:") and answer["text"].endswith("hello-from-tool")
    assert events[-1]["type"] == "turn.completed"

    first, second = (r["json"] for r in behaviour.requests)
    tools = upstream_tools(first)
    assert "exec_command" in tools
    # The sub-agent tools came in a namespace and went up flattened.
    assert any(name.startswith("multi_agent_v1__") for name in tools)
    assert "web_search" not in json.dumps(first["tools"])
    call, result = second["messages"][-2:]
    assert call["tool_calls"][0]["function"]["name"] == "exec_command"
    assert json.loads(call["tool_calls"][0]["function"]["arguments"]) == {"cmd": COMMAND}
    assert result["role"] == "tool" and "hello-from-tool" in result["content"]
    assert_ledgered(gateway, "gpt-fake")


def test_codex_applies_a_freeform_patch_through_the_gateway(
    codex: Path,
    door: tuple[GatewayProcess, str],
    upstream: tuple[FakeBehaviour, str],
    tmp_path: Path,
) -> None:
    gateway, key = door
    behaviour = upstream[0]
    behaviour.reset()
    SCRIPT.tools, SCRIPT.arguments = ["apply_patch"], {"input": PATCH}
    events = run_codex(codex, gateway, key, "gpt-5.5", tmp_path)

    assert (tmp_path / "work" / "out.txt").read_text() == "hello-from-patch\n"
    (change,) = completed(events, "file_change")
    assert change["status"] == "completed" and change["changes"][0]["kind"] == "add"
    (answer,) = completed(events, "agent_message")
    assert answer["text"].startswith("Done:") and "Success" in answer["text"]

    first, second = (r["json"] for r in behaviour.requests)
    patch = upstream_tools(first)["apply_patch"]
    # The freeform tool went up as a function of one string, its grammar in the description.
    assert patch["parameters"]["required"] == ["input"]
    assert "lark grammar" in patch["parameters"]["properties"]["input"]["description"]
    assert "tool_search" not in upstream_tools(first)
    call, result = second["messages"][-2:]
    assert json.loads(call["tool_calls"][0]["function"]["arguments"]) == {"input": PATCH}
    assert result["role"] == "tool" and "Success" in result["content"]
    assert_ledgered(gateway, "gpt-5.5")


def assert_ledgered(gateway: GatewayProcess, model: str) -> None:
    rows = ledger_rows(gateway.db_path, "model = ?", (model,))
    assert [(row["endpoint"], row["http_status"], row["stream"]) for row in rows] == [
        ("responses", 200, 1),
        ("responses", 200, 1),
    ]
