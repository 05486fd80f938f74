"""Every MCP trip leaves one ledger row (endpoint, tool, server, key, latency, outcome), its call
to the tool's server an attempt row with that call's own latency, and an entry in the audit
chain, as every other request does."""

from __future__ import annotations

import sqlite3
from typing import Any

import anyio
import httpx
import pytest
from mcp import MCPError

from tests.conftest import ledger_rows
from tests.mcp_gateway.conftest import ADMIN, McpGateway, attempts_of, mcp_client


def test_each_tool_call_is_ledgered_with_its_outcome(mcp_gateway: McpGateway) -> None:
    async def scenario() -> dict[str, str]:
        ids: dict[str, str] = {}
        async with mcp_client(mcp_gateway.url, mcp_gateway.keys["support"]) as client:
            listed = await client.list_tools()
            ids["list"] = listed.meta["switchgear/request_id"]
            ok = await client.call_tool("py__add", {"a": 1, "b": 1})
            ids["ok"] = ok.meta["switchgear/request_id"]
            failed = await client.call_tool("py__fail", {"reason": "no"})
            ids["failed"] = failed.meta["switchgear/request_id"]
            with pytest.raises(MCPError) as refused:
                await client.call_tool("everything__echo", {"message": "x"})
            ids["forbidden"] = refused.value.data["request_id"]
        return ids

    ids = anyio.run(scenario)
    rows = {
        name: ledger_rows(mcp_gateway.db, "request_id = ?", (rid,))[0] for name, rid in ids.items()
    }

    def outcome(row: Any) -> tuple[Any, ...]:
        return (row["endpoint"], row["model"], row["route"], row["status"], row["http_status"],
                row["error_code"], row["key_id"], row["team"])  # fmt: skip

    key = mcp_gateway.key_ids["support"]
    assert outcome(rows["list"]) == ("mcp.tools.list", "", None, "ok", 200, None, key, "support")
    assert outcome(rows["ok"]) == (
        "mcp.tools.call", "py__add", "py", "ok", 200, None, key, "support"
    )  # fmt: skip
    assert outcome(rows["failed"]) == (
        "mcp.tools.call", "py__fail", "py", "error", 502, "tool_error", key, "support"
    )  # fmt: skip
    assert outcome(rows["forbidden"]) == (
        "mcp.tools.call", "everything__echo", None, "error", 403, "tool_not_allowed", key, "support"
    )  # fmt: skip
    assert all(row["latency_ms"] > 0 for row in rows.values())
    assert attempts_of(mcp_gateway.db, ids["ok"]) == [("mcp:py", "ok", 200, None)]
    assert attempts_of(mcp_gateway.db, ids["failed"]) == [("mcp:py", "error", 502, "tool_error")]
    assert attempts_of(mcp_gateway.db, ids["forbidden"]) == []

    with sqlite3.connect(mcp_gateway.db) as conn:
        query = "SELECT kind, actor, action FROM audit WHERE subject = ?"
        audited = conn.execute(query, (ids["ok"],)).fetchall()
    assert audited == [("request", key, "mcp.tools.call")]
    audit = httpx.get(
        f"{mcp_gateway.process.base_url}/admin/audit/verify",
        headers={"authorization": f"Bearer {ADMIN}"},
    )
    assert audit.status_code == 200 and audit.json()["ok"] is True


def test_a_refused_connection_is_ledgered_too(mcp_gateway: McpGateway) -> None:
    before = len(ledger_rows(mcp_gateway.db, "endpoint = 'mcp' AND http_status = 401"))
    response = httpx.post(
        mcp_gateway.url,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        headers={"accept": "application/json, text/event-stream"},
    )
    assert response.status_code == 401
    after = ledger_rows(mcp_gateway.db, "endpoint = 'mcp' AND http_status = 401")
    assert len(after) == before + 1
    assert after[-1]["error_code"] == "missing_api_key"
