"""The backing servers' lifecycle, seen through `/mcp`: a server that changes its tools is
re-listed when it says so, and one that crashes is reconnected (its tools are absent and its
calls fail clearly meanwhile), without a restart of the gateway."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio

from tests.mcp_gateway.conftest import McpGateway, mcp_client, text_of


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "did not happen in time"
        time.sleep(0.2)


def test_changed_tools_are_relisted_and_a_crashed_server_comes_back(
    mcp_gateway: McpGateway,
) -> None:
    key = mcp_gateway.keys["full"]

    async def names() -> set[str]:
        async with mcp_client(mcp_gateway.url, key) as client:
            return {tool.name for tool in (await client.list_tools()).tools}

    async def call(name: str, arguments: dict[str, Any] | None = None) -> tuple[bool, str]:
        async with mcp_client(mcp_gateway.url, key) as client:
            result = await client.call_tool(name, arguments or {})
            return bool(result.is_error), text_of(result)

    assert anyio.run(call, "spare__grow") == (False, "added `late`")
    eventually(lambda: "spare__late" in anyio.run(names))  # on notifications/tools/list_changed
    assert anyio.run(call, "spare__late") == (False, "late tool")

    crashed, message = anyio.run(call, "spare__crash")
    assert crashed and message.startswith("The MCP server `spare` is unavailable (")
    # Restarted by the gateway: a fresh process, so the tool it grew is gone again.
    eventually(lambda: "spare__add" in anyio.run(names))
    assert "spare__late" not in anyio.run(names)
    assert anyio.run(call, "py__add", {"a": 1, "b": 1}) == (False, "2")  # the others never noticed
