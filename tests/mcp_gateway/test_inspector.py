"""The MCP inspector's command line (`@modelcontextprotocol/inspector-cli`, the TypeScript SDK's
client) lists and calls tools through `/mcp`, with the key in an `Authorization` header."""

from __future__ import annotations

import json
import subprocess

from tests.mcp_gateway.conftest import McpGateway
from tests.mcp_gateway.node_programs import NodePrograms


def inspect(
    programs: NodePrograms, gateway: McpGateway, key: str, *args: str
) -> subprocess.CompletedProcess[str]:
    command = [programs.node, str(programs.inspector), "--cli", gateway.url, "--transport", "http"]
    command += ["--header", f"Authorization: Bearer {gateway.keys[key]}", *args]
    return subprocess.run(
        command, cwd=programs.inspector_dir, capture_output=True, text=True, timeout=120
    )


def test_the_inspector_lists_the_tools_a_key_may_call(
    node_programs: NodePrograms, mcp_gateway: McpGateway
) -> None:
    done = inspect(node_programs, mcp_gateway, "narrow", "--method", "tools/list")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [tool["name"] for tool in listed["tools"]] == ["py__add"]
    assert listed["tools"][0]["inputSchema"]["required"] == ["a", "b"]


def test_the_inspector_calls_tools_of_both_servers(
    node_programs: NodePrograms, mcp_gateway: McpGateway
) -> None:
    add = inspect(
        node_programs, mcp_gateway, "full",
        "--method", "tools/call", "--tool-name", "py__add", "--tool-arg", "a=2", "b=3",
    )  # fmt: skip
    echo = inspect(
        node_programs, mcp_gateway, "full",
        "--method", "tools/call", "--tool-name", "everything__echo", "--tool-arg", "message=hi",
    )  # fmt: skip
    assert add.returncode == echo.returncode == 0, add.stderr + echo.stderr
    assert json.loads(add.stdout)["content"] == [{"type": "text", "text": "5"}]
    assert json.loads(echo.stdout)["content"] == [{"type": "text", "text": "Echo: hi"}]


def test_the_inspector_shows_why_a_call_is_refused(
    node_programs: NodePrograms, mcp_gateway: McpGateway
) -> None:
    done = inspect(
        node_programs, mcp_gateway, "narrow",
        "--method", "tools/call", "--tool-name", "py__fetch_page", "--tool-arg", "url=x",
    )  # fmt: skip
    assert done.returncode != 0
    assert (
        "MCP error -32010: This key may not call the tool `py__fetch_page` "
        "(allowed: py__add, everything__echo and py__*)."
    ) in done.stdout + done.stderr
