"""`/mcp` through the official SDK client: the tools of every backing server, namespaced; what
each key may see and call; and the errors a caller gets, as MCP clients expect them."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from mcp import MCPError

from tests.mcp_gateway.conftest import ADMIN, McpGateway, mcp_client, text_of

PY_TOOLS = {
    "py__add",
    "py__lookup_customer",
    "py__fetch_page",
    "py__weather",
    "py__repeat",
    "py__fail",
    "py__wait",
    "py__grow",
    "py__crash",
}


async def _names(gateway: McpGateway, key: str, mode: str = "auto") -> set[str]:
    async with mcp_client(gateway.url, gateway.keys[key], mode) as client:
        return {tool.name for tool in (await client.list_tools()).tools}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_lists_and_calls_the_tools_of_every_server(mcp_gateway: McpGateway, mode: str) -> None:
    async def scenario() -> dict[str, Any]:
        async with mcp_client(mcp_gateway.url, mcp_gateway.keys["full"], mode) as client:
            tools = (await client.list_tools()).tools
            echo = await client.call_tool("everything__echo", {"message": "hello"})
            added = await client.call_tool("py__add", {"a": 2, "b": 40})
            remote = await client.call_tool("remote__add", {"a": 1, "b": 1})
            total = await client.call_tool("everything__get-sum", {"a": 3, "b": 4})
            return {"tools": tools, "echo": echo, "add": added, "remote": remote, "sum": total}

    got = anyio.run(scenario)
    names = {tool.name for tool in got["tools"]}
    assert names >= PY_TOOLS
    assert {"spare__add", "remote__add", "everything__echo", "everything__get-sum"} <= names
    assert not any(name.startswith("down__") for name in names)  # its server is down
    assert all(name.split("__")[0] in {"py", "spare", "everything", "remote"} for name in names)
    add = next(tool for tool in got["tools"] if tool.name == "py__add")
    assert add.description == "Adds two integers."
    assert set(add.input_schema["properties"]) == {"a", "b"}
    assert text_of(got["echo"]) == "Echo: hello"
    assert (text_of(got["add"]), got["add"].structured_content) == ("42", {"result": 42})
    assert text_of(got["remote"]) == "2"
    assert "7" in text_of(got["sum"])
    assert not any(got[k].is_error for k in ("echo", "add", "remote", "sum"))


def test_a_key_sees_only_the_tools_its_team_allows(mcp_gateway: McpGateway) -> None:
    support = anyio.run(_names, mcp_gateway, "support")
    assert support == PY_TOOLS
    # A key narrows its team's rule, never widens it: everything__echo is outside py__*.
    assert anyio.run(_names, mcp_gateway, "narrow") == {"py__add"}


def test_calling_a_tool_the_key_may_not_call_is_a_clear_mcp_error(
    mcp_gateway: McpGateway,
) -> None:
    async def scenario() -> tuple[MCPError, str]:
        async with mcp_client(mcp_gateway.url, mcp_gateway.keys["support"]) as client:
            with pytest.raises(MCPError) as refused:
                await client.call_tool("everything__echo", {"message": "hi"})
            allowed = await client.call_tool("py__add", {"a": 1, "b": 2})
            return refused.value, text_of(allowed)

    refused, allowed = anyio.run(scenario)
    assert refused.code == -32010
    assert refused.message == (
        "This key may not call the tool `everything__echo` (allowed: py__*)."
    )
    assert refused.data["code"] == "tool_not_allowed" and refused.data["status"] == 403
    assert refused.data["request_id"]
    assert allowed == "3"  # the same session goes on


def test_an_unknown_tool_is_a_jsonrpc_error(mcp_gateway: McpGateway) -> None:
    async def scenario() -> tuple[list[MCPError], Any]:
        errors = []
        async with mcp_client(mcp_gateway.url, mcp_gateway.keys["full"]) as client:
            for name in ("nowhere__echo", "py__no_such_tool", "no-separator"):
                with pytest.raises(MCPError) as caught:
                    await client.call_tool(name, {})
                errors.append(caught.value)
            # Bad arguments reach the tool's server, which answers with an error result.
            bad = await client.call_tool("py__add", {"a": "not a number", "b": 1})
        return errors, bad

    errors, bad = anyio.run(scenario)
    assert [(e.code, e.message) for e in errors] == [
        (-32602, "Unknown tool `nowhere__echo`."),
        (-32602, "Unknown tool `py__no_such_tool`."),
        (-32602, "Unknown tool `no-separator`."),
    ]
    assert all(e.data["code"] == "unknown_tool" for e in errors)
    assert bad.is_error and "validation error" in text_of(bad).lower()


def test_a_tool_failure_and_a_dead_server_come_back_as_error_results(
    mcp_gateway: McpGateway,
) -> None:
    async def scenario() -> tuple[Any, Any, Any]:
        async with mcp_client(mcp_gateway.url, mcp_gateway.keys["full"]) as client:
            failed = await client.call_tool("py__fail", {"reason": "disk on fire"})
            down = await client.call_tool("down__anything", {})
            slow = await client.call_tool("py__wait", {"seconds": 5})
            return failed, down, slow

    failed, down, slow = anyio.run(scenario)
    assert failed.is_error and "disk on fire" in text_of(failed)
    assert down.is_error
    assert text_of(down).startswith("The MCP server `down` is unavailable (")
    assert down.meta["switchgear/error"]["code"] == "mcp_server_unavailable"
    assert slow.is_error
    assert text_of(slow) == "The tool `py__wait` did not answer within 2 s."


def test_no_key_or_a_wrong_key_is_refused_with_401(mcp_gateway: McpGateway) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    accept = {"accept": "application/json, text/event-stream"}
    missing = httpx.post(mcp_gateway.url, json=body, headers=accept)
    wrong = httpx.post(
        mcp_gateway.url, json=body, headers={**accept, "authorization": "Bearer sg-nope"}
    )
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.json()["error"]["code"] == "missing_api_key"
    assert wrong.json()["error"]["code"] == "invalid_api_key"

    async def with_the_sdk() -> BaseException | None:
        try:
            async with mcp_client(mcp_gateway.url, "sg-nope") as client:
                await client.list_tools()
        except BaseException as error:
            while isinstance(error, BaseExceptionGroup):
                error = error.exceptions[0]
            return error
        return None

    # The SDK reports any HTTP error status this way; the status and message are above.
    refused = anyio.run(with_the_sdk)
    assert isinstance(refused, MCPError)
    assert refused.message == "Server returned an error response"


def test_a_page_on_another_site_cannot_call_tools(mcp_gateway: McpGateway) -> None:
    response = httpx.post(
        mcp_gateway.url,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        headers={
            "accept": "application/json, text/event-stream",
            "authorization": f"Bearer {mcp_gateway.keys['full']}",
            "origin": "https://evil.example",
        },
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "cross_origin"


def test_rate_limits_count_every_trip(mcp_gateway: McpGateway) -> None:
    async def scenario() -> tuple[int, str, MCPError]:
        async with mcp_client(mcp_gateway.url, mcp_gateway.keys["limited"]) as client:
            listed = len((await client.list_tools()).tools)  # 1 of 2 per minute
            done = text_of(await client.call_tool("py__add", {"a": 1, "b": 0}))  # 2 of 2
            with pytest.raises(MCPError) as limited:
                await client.call_tool("py__add", {"a": 2, "b": 0})
            return listed, done, limited.value

    listed, done, limited = anyio.run(scenario)
    assert listed > 0 and done == "1"
    assert limited.code == -32011 and limited.data["status"] == 429
    assert limited.message.startswith("Rate limit reached for key:")


def test_a_keys_tools_are_set_and_changed_through_the_admin_api(mcp_gateway: McpGateway) -> None:
    process = mcp_gateway.process
    created = process.admin(ADMIN, "POST", "/keys", json={"allowed_tools": ["py__add"]}).json()
    secret, key_id = created["key"], created["id"]
    assert created["allowed_tools"] == ["py__add"]

    async def names() -> set[str]:
        async with mcp_client(mcp_gateway.url, secret) as client:
            return {tool.name for tool in (await client.list_tools()).tools}

    assert anyio.run(names) == {"py__add"}
    changed = process.admin(
        ADMIN, "PATCH", f"/keys/{key_id}", json={"allowed_tools": ["everything__*"]}
    )
    assert changed.json()["allowed_tools"] == ["everything__*"]
    every = {name for name in anyio.run(_names, mcp_gateway, "full") if "everything__" in name}
    assert anyio.run(names) == every
    kept = process.admin(ADMIN, "PATCH", f"/keys/{key_id}", json={"metadata": {"owner": "ops"}})
    assert kept.json()["allowed_tools"] == ["everything__*"]  # new metadata keeps the tools
