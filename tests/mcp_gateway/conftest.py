"""One real gateway serving `/mcp` over loopback, in front of real MCP servers: the Python test
server (`tool_server.py`) over stdio twice (`py`, and `spare` for tests that change or crash
it) and over streamable HTTP (`remote`, which wants a token header), the Node reference server
`server-everything` over stdio, and `down`, a URL where nothing listens. Keys for each policy
the tests need are created through the admin API, as an operator would."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.gateway_process import GatewayProcess, free_port
from tests.mcp_gateway.node_programs import NodePrograms, install

TOOL_SERVER = Path(__file__).with_name("tool_server.py")
ADMIN = "sg-admin-mcp-tests"
TOOL_TOKEN = "remote-token-7"

CONFIG = """
providers: {{api: {{kind: openai_compat, base_url: "http://127.0.0.1:9/v1"}}}}
models: [{{id: ext, provider: api}}]
guards:
  policies:
    off: {{}}
    flag: {{injection: {{enabled: true, action: flag, threshold: 0.9}}}}
    strict:
      pii: {{action: block, use_model: false}}
      injection: {{enabled: true, action: block, threshold: 0.9}}
    redact: {{pii: {{action: redact, use_model: false, output: redact}}}}
    pseudo: {{pii: {{action: pseudonymize, use_model: false, output: redact}}}}
mcp:
  servers:
    py: {{command: "{python}", args: ["{tool_server}"], call_timeout_s: 2}}
    spare: {{command: "{python}", args: ["{tool_server}"]}}
    everything: {{command: "{node}", args: ["{everything}", stdio]}}
    remote: {{url: "{remote}", headers_env: {{X-Tool-Token: TOOL_TOKEN}}}}
    down: {{url: "http://127.0.0.1:{closed}/mcp"}}
  access:
    teams: {{support: ["py__*"]}}
"""

KEYS: dict[str, dict[str, Any]] = {
    "full": {"guard_policy": "flag"},
    "support": {"team": "support"},
    "narrow": {"team": "support", "allowed_tools": ["py__add", "everything__echo"]},
    "strict": {"guard_policy": "strict"},
    "redact": {"guard_policy": "redact"},
    "pseudo": {"guard_policy": "pseudo"},
    "limited": {"limits": {"rpm": 2}},
}


@dataclass
class McpGateway:
    process: GatewayProcess
    keys: dict[str, str]  # name -> secret
    key_ids: dict[str, str]  # name -> key id

    @property
    def url(self) -> str:
        return f"{self.process.base_url}/mcp"

    @property
    def db(self) -> Path:
        return self.process.db_path


@pytest.fixture(scope="session")
def node_programs() -> NodePrograms:
    return install()


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the tool server exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


@pytest.fixture(scope="session")
def remote_tools() -> Iterator[str]:
    """The Python test server over streamable HTTP, in its own process."""
    port = free_port()
    process = subprocess.Popen([sys.executable, str(TOOL_SERVER), "--http", str(port), TOOL_TOKEN])
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def mcp_gateway(
    tmp_path_factory: pytest.TempPathFactory, node_programs: NodePrograms, remote_tools: str
) -> Iterator[McpGateway]:
    home = tmp_path_factory.mktemp("mcp-gateway")
    config = home / "switchgear.yaml"
    config.write_text(
        CONFIG.format(
            python=sys.executable,
            tool_server=TOOL_SERVER,
            node=node_programs.node,
            everything=node_programs.everything,
            remote=remote_tools,
            closed=free_port(),
        )
    )
    env = {"SWITCHGEAR_ADMIN_KEY": ADMIN, "TOOL_TOKEN": TOOL_TOKEN}
    process = GatewayProcess(home, config, env=env)
    try:
        keys, ids = {}, {}
        for name, spec in KEYS.items():
            response = process.admin(ADMIN, "POST", "/keys", json={"name": name, **spec})
            assert response.status_code == 201, response.text
            keys[name], ids[name] = response.json()["key"], response.json()["id"]
        yield McpGateway(process, keys, ids)
    finally:
        process.stop()


@asynccontextmanager
async def mcp_client(url: str, key: str | None, mode: str = "auto") -> AsyncIterator[Client]:
    """The official SDK's client on `url`, sending `key` as a bearer token. `auto` (the SDK's
    default) speaks the 2026-07-28 protocol; `legacy` the initialize handshake of 2025."""
    headers = {"authorization": f"Bearer {key}"} if key else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=60)) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode, cache=None) as client,
    ):
        yield client


def text_of(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


def attempts_of(db: Path, request_id: str) -> list[tuple[str, str, int, str | None]]:
    """The calls a request made to a tool's server: (target, status, HTTP status, code)."""
    with sqlite3.connect(db) as conn:
        query = "SELECT target, status, http_status, error_code FROM attempts WHERE request_id = ?"
        return [tuple(row) for row in conn.execute(query + " ORDER BY attempt", (request_id,))]
