"""`gateway.mcp`, the Python side a tool loop inside the gateway uses: the tools a caller may
call, and calls made for a caller, each one trip through the pipeline (admitted against the
caller's limits without a concurrency slot of its own, guarded, ledgered)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from switchgear.config import Config
from switchgear.gateway import Gateway
from switchgear.governance.governor import Forbidden
from switchgear.governance.keys import Identity
from switchgear.mcp.errors import ToolFailed
from switchgear.mcp.service import openai_tool
from switchgear.schema.errors import GatewayError
from switchgear.schema.kinds import McpToolCall
from tests.mcp_gateway.conftest import TOOL_SERVER


def run(tmp_path: Path, work: Callable[[Gateway], Awaitable[Any]]) -> Any:
    config = msgspec.convert(
        {
            "data_dir": str(tmp_path),
            "providers": {"api": {"kind": "openai_compat", "base_url": "http://127.0.0.1:9/v1"}},
            "models": [{"id": "ext", "provider": "api"}],
            "guards": {
                "policies": {"off": {}, "redact": {"pii": {"action": "redact", "use_model": False}}}
            },
            "mcp": {"servers": {"py": {"command": sys.executable, "args": [str(TOOL_SERVER)]}}},
        },
        Config,
    )

    async def main() -> Any:
        gateway = Gateway(config)
        await gateway.start()
        try:
            return await work(gateway)
        finally:
            await gateway.stop()

    return asyncio.run(main())


def key(gateway: Gateway, **fields: Any) -> Identity:
    _, secret = gateway.governor.keys.create({"name": "loop", **fields})
    found = gateway.governor.keys.identify(secret)
    assert isinstance(found, Identity)
    return found


def test_calls_for_a_caller_go_through_the_pipeline(tmp_path: Path) -> None:
    async def work(gateway: Gateway) -> dict[str, Any]:
        caller = key(gateway, allowed_tools=["py__add", "py__repeat", "py__fail"])
        tools = gateway.mcp.tools_for(caller)
        listed = await gateway.mcp.list_tools(caller)
        added = await gateway.mcp.call(caller, "py__add", {"a": 20, "b": 22})
        with pytest.raises(Forbidden) as refused:
            await gateway.mcp.call(caller, "py__fetch_page", {"url": "x"})
        with pytest.raises(ToolFailed) as failed:
            await gateway.mcp.call(caller, "py__fail", {"reason": "broken"})
        redacting = key(gateway, guard_policy="redact")
        repeated = await gateway.mcp.call(redacting, "py__repeat", {"text": "mail a@b.example"})
        gateway.ledger.flush()
        rows = gateway.store.read_usage(limit=10)
        return {"tools": tools, "listed": listed, "added": added, "refused": refused.value,
                "failed": failed.value, "repeated": repeated, "rows": rows}  # fmt: skip

    got = run(tmp_path, work)
    assert [t["name"] for t in got["tools"]] == ["py__add", "py__repeat", "py__fail"]
    assert got["listed"] == got["tools"]
    assert got["added"]["content"] == [{"type": "text", "text": "42"}]
    assert got["refused"].code == "tool_not_allowed"
    assert got["failed"].result["isError"] is True
    assert "broken" in got["failed"].result["content"][0]["text"]
    assert got["repeated"]["content"][0]["text"] == "received: mail [EMAIL]"
    rows = sorted((r.endpoint, r.model, r.status, r.error_code) for r in got["rows"])
    assert rows == [
        ("mcp.tools.call", "py__add", "ok", None),
        ("mcp.tools.call", "py__fail", "error", "tool_error"),
        ("mcp.tools.call", "py__fetch_page", "error", "tool_not_allowed"),
        ("mcp.tools.call", "py__repeat", "ok", None),
        ("mcp.tools.list", "", "ok", None),
    ]


def test_calls_for_a_caller_count_against_its_limits_but_hold_no_slot(tmp_path: Path) -> None:
    async def work(gateway: Gateway) -> list[Any]:
        # One request at a time: the chat request a tool loop serves holds that slot already.
        _, secret = gateway.governor.keys.create({"limits": {"concurrency": 1, "rpm": 4}})
        caller = gateway.governor.keys.identify(secret)
        assert isinstance(caller, Identity)
        wait = {"seconds": 0.3}
        both = await asyncio.gather(
            gateway.mcp.call(caller, "py__wait", wait), gateway.mcp.call(caller, "py__wait", wait)
        )
        # The same two calls from outside (through /mcp, with the key): one slot, one refusal.
        outside = await asyncio.gather(
            gateway.pipeline.run(McpToolCall("py__wait", wait), secret),
            gateway.pipeline.run(McpToolCall("py__wait", wait), secret),
            return_exceptions=True,
        )
        await gateway.mcp.call(caller, "py__add", {"a": 1, "b": 1})  # the 4th admitted
        with pytest.raises(GatewayError) as limited:
            await gateway.mcp.call(caller, "py__add", {"a": 1, "b": 1})  # one too many
        return [*both, outside, limited.value]

    first, second, outside, limited = run(tmp_path, work)
    assert first["content"] == second["content"] == [{"type": "text", "text": "done"}]
    assert sorted(type(o).__name__ for o in outside) == ["Answer", "RateLimited"]
    assert (limited.status, limited.code) == (429, "rate_limit_exceeded")


def test_an_mcp_tool_as_an_openai_chat_tool() -> None:
    tool = {
        "name": "py__add",
        "description": "Adds two integers.",
        "inputSchema": {"type": "object"},
    }
    assert openai_tool(tool) == {
        "type": "function",
        "function": {
            "name": "py__add",
            "description": "Adds two integers.",
            "parameters": {"type": "object"},
        },
    }
