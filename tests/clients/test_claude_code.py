"""Claude Code, the real CLI, runs a task that needs a tool through the gateway's Anthropic
door: served by an Anthropic upstream (Messages both ways) and by an OpenAI-compatible one
(translated across protocols). The upstream is a scripted model (`fakes/agent_script.py`)
that asks for `Bash` on its first turn and answers with the tool's output once it has it;
Claude Code really runs the command in a temporary working folder.

What Claude Code 2.1.332 sends, and the gateway must take: `POST /v1/messages?beta=true`
with `anthropic-beta` (claude-code, interleaved-thinking, context-management, ...),
`anthropic-version: 2023-06-01`, `x-api-key` (or `Authorization: Bearer` with
`ANTHROPIC_AUTH_TOKEN`); a body streamed (`stream: true`) with `thinking: {type: adaptive}`,
`context_management`, `output_config: {effort}`, a JSON `metadata.user_id`, system blocks
with `cache_control`, a `role: "system"` turn between the others, a tool marked
`defer_loading`, and `tool_result` blocks with `cache_control` on the way back.
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

VERSION = "2.1.332"
CONFIG = """
providers:
  claude: {{kind: anthropic, base_url: "{url}", api_key_env: FAKE_KEY}}
  api: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: claude-fake, provider: claude, upstream_model: claude-sonnet-4-5}}
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
"""
COMMAND = "echo hello-from-tool > out.txt && cat out.txt"
SCRIPT = AgentScript(
    tools=["Bash"], arguments={"command": COMMAND, "description": "Write out.txt"}, final="Done:"
)


@pytest.fixture(scope="module")
def claude() -> Path:
    return npm_tool("@anthropic-ai/claude-code", VERSION, "claude")


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[FakeBehaviour, str]]:
    behaviour = FakeBehaviour(api_key="test-key")
    with run_fake(create_agent_fake(behaviour, SCRIPT)) as url:
        yield behaviour, url


@pytest.fixture(scope="module")
def door(
    upstream: tuple[FakeBehaviour, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayProcess, str]]:
    home = tmp_path_factory.mktemp("claude-code-door")
    config = CONFIG.format(url=upstream[1])
    with keyed_gateway(home, config, "claude-code", env={"FAKE_KEY": "test-key"}) as (
        gateway,
        keys,
    ):
        yield gateway, keys[0]


def run_claude(
    claude: Path, gateway: GatewayProcess, key: str, model: str, key_variable: str, where: Path
) -> dict[str, Any]:
    home = where / "home"
    work = where / "work"
    home.mkdir()
    work.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),  # no settings, credentials or history from the machine's user
        "ANTHROPIC_BASE_URL": gateway.base_url,
        key_variable: key,
        # Background calls (titles, summaries) would ask for Anthropic's model names.
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": model,
        "ANTHROPIC_DEFAULT_SONNET_MODEL": model,
        "ANTHROPIC_DEFAULT_OPUS_MODEL": model,
        # Offline: no telemetry, error reports, update checks or other calls home.
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "DISABLE_AUTOUPDATER": "1",
    }
    # `--allowedTools` rather than `--dangerously-skip-permissions`, which refuses to run as
    # root (CI runs as root).
    args = [str(claude), "-p", "Create out.txt saying hello-from-tool.", "--output-format"]
    args += ["json", "--model", model, "--allowedTools", "Bash"]
    done = subprocess.run(
        args, cwd=work, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    result: dict[str, Any] = json.loads(done.stdout)
    result["_work"] = work
    return result


@pytest.mark.parametrize(
    ("model", "key_variable", "path"),
    [
        ("claude-fake", "ANTHROPIC_API_KEY", "/v1/messages"),
        ("gpt-fake", "ANTHROPIC_AUTH_TOKEN", "/v1/chat/completions"),
    ],
)
def test_claude_code_runs_a_tool_through_the_gateway(
    claude: Path,
    door: tuple[GatewayProcess, str],
    upstream: tuple[FakeBehaviour, str],
    tmp_path: Path,
    model: str,
    key_variable: str,
    path: str,
) -> None:
    gateway, key = door
    behaviour = upstream[0]
    behaviour.reset()
    result = run_claude(claude, gateway, key, model, key_variable, tmp_path)

    # The command ran on this machine, and its output made the final answer.
    assert (result["_work"] / "out.txt").read_text() == "hello-from-tool\n"
    assert result["type"] == "result" and result["subtype"] == "success"
    assert result["is_error"] is False, result
    assert result["result"] == "Done: hello-from-tool"
    assert result["num_turns"] == 2

    sent = [r for r in behaviour.requests if r["path"] == path]
    assert len(sent) == 2 == len(behaviour.requests)
    first, second = (r["json"] for r in sent)
    tools = _tool_names(first)
    assert "Bash" in tools and "Read" in tools and "Write" in tools
    # A deferred tool stays out of the model's context, as Anthropic would keep it.
    assert "DeferredToolPlaceholder" not in tools
    assert _tool_result(second) == "hello-from-tool"

    rows = ledger_rows(gateway.db_path, "endpoint = 'anthropic.messages' AND model = ?", (model,))
    assert len(rows) == 2
    assert {row["http_status"] for row in rows} == {200}
    assert all(row["stream"] == 1 for row in rows)


def _tool_names(body: dict[str, Any]) -> list[str]:
    # Anthropic tools carry `name`; OpenAI's carry `function.name`.
    return [t.get("name") or t["function"]["name"] for t in body["tools"]]


def _tool_result(body: dict[str, Any]) -> str:
    last = body["messages"][-1]
    if last["role"] == "tool":  # OpenAI's shape
        return str(last["content"])
    (block,) = [b for b in last["content"] if b["type"] == "tool_result"]
    content = block["content"]
    return content if isinstance(content, str) else "".join(b["text"] for b in content)
