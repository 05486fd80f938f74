"""Tool calls pass the caller's guards both ways: arguments as they leave for the tool's server
(PII: block, redact, pseudonymize), results as they come back (PII in the answer, and the
injection check for text the caller did not write). The ledger records the decisions."""

from __future__ import annotations

import json
from typing import Any

import anyio

from tests.conftest import ledger_rows
from tests.mcp_gateway.conftest import McpGateway, attempts_of, mcp_client, text_of
from tests.mcp_gateway.tool_server import CUSTOMER, PAGE

EMAIL = "jane.doe@example.com"


def call(gateway: McpGateway, key: str, name: str, arguments: dict[str, Any]) -> Any:
    async def scenario() -> Any:
        async with mcp_client(gateway.url, gateway.keys[key]) as client:
            return await client.call_tool(name, arguments)

    return anyio.run(scenario)


def decisions(gateway: McpGateway, result: Any) -> dict[str, dict[str, Any]]:
    """The ledger's guard decisions for a call, by guard; `result` carries its request id."""
    meta = result.meta or {}
    request_id = meta.get("switchgear/request_id") or meta["switchgear/error"]["request_id"]
    (row,) = ledger_rows(gateway.db, "request_id = ?", (request_id,))
    return {d["guard"]: d for d in json.loads(row["guard"] or "[]")}


def test_an_injected_instruction_in_a_result_is_flagged(mcp_gateway: McpGateway) -> None:
    result = call(mcp_gateway, "full", "py__fetch_page", {"url": "https://docs.example.com"})
    assert not result.is_error
    assert text_of(result) == PAGE  # flag: the caller still gets it, marked
    flag = result.meta["switchgear/guard"]["injection"]
    assert flag["flagged"] is True and flag["score"] >= 0.9
    found = decisions(mcp_gateway, result)["injection.tool_result"]
    assert found["action"] == "flag" and found["score"] >= 0.9


def test_an_injected_instruction_in_a_result_is_withheld_under_block(
    mcp_gateway: McpGateway,
) -> None:
    result = call(mcp_gateway, "strict", "py__fetch_page", {"url": "https://docs.example.com"})
    assert result.is_error
    assert text_of(result).startswith(
        "The result of `py__fetch_page` was withheld: it looks like a prompt injection (score "
    )
    assert "Ignore all previous" not in json.dumps(result.model_dump(mode="json"))
    assert result.meta["switchgear/error"]["code"] == "prompt_injection"
    assert decisions(mcp_gateway, result)["injection.tool_result"]["action"] == "block"
    request_id = result.meta["switchgear/error"]["request_id"]
    assert attempts_of(mcp_gateway.db, request_id) == [("mcp:py", "ok", 200, None)]  # it ran


def test_an_ordinary_result_passes_the_injection_check(mcp_gateway: McpGateway) -> None:
    result = call(mcp_gateway, "strict", "py__add", {"a": 1, "b": 2})
    assert (result.is_error, text_of(result)) == (False, "3")
    assert "switchgear/guard" not in (result.meta or {})
    assert decisions(mcp_gateway, result)["injection.tool_result"]["action"] == "allow"


def test_a_poisoned_tool_description_is_dropped_or_flagged(mcp_gateway: McpGateway) -> None:
    async def listing(key: str) -> dict[str, Any]:
        async with mcp_client(mcp_gateway.url, mcp_gateway.keys[key]) as client:
            return {tool.name: tool for tool in (await client.list_tools()).tools}

    strict, flagged, unguarded = (anyio.run(listing, k) for k in ("strict", "full", "support"))
    assert "py__weather" not in strict and "py__add" in strict
    assert flagged["py__weather"].meta["switchgear/guard"]["injection"]["flagged"] is True
    assert "switchgear/guard" not in (flagged["py__add"].meta or {})
    assert "py__weather" in unguarded  # a key without the policy sees it as it is


def test_personal_data_in_arguments_is_refused_under_block(mcp_gateway: McpGateway) -> None:
    result = call(mcp_gateway, "strict", "py__repeat", {"text": f"write to {EMAIL}"})
    assert result.is_error
    assert text_of(result) == (
        "The request contains personal data that this route does not accept: EMAIL (1)."
    )
    meta = result.meta["switchgear/error"]
    assert meta["code"] == "pii_blocked"
    (row,) = ledger_rows(mcp_gateway.db, "request_id = ?", (meta["request_id"],))
    assert row["error_code"] == "pii_blocked" and EMAIL not in row["guard"]
    assert attempts_of(mcp_gateway.db, meta["request_id"]) == []  # never sent to the server


def test_personal_data_in_arguments_is_redacted_before_it_leaves(
    mcp_gateway: McpGateway,
) -> None:
    result = call(mcp_gateway, "redact", "py__repeat", {"text": f"write to {EMAIL}"})
    assert text_of(result) == "received: write to [EMAIL]"  # what the tool's server got
    assert decisions(mcp_gateway, result)["pii"]["entities"] == {"EMAIL": 1}


def test_pseudonyms_go_out_and_the_real_values_come_back(mcp_gateway: McpGateway) -> None:
    result = call(mcp_gateway, "pseudo", "py__repeat", {"text": f"write to {EMAIL}"})
    # The server saw `<EMAIL_1>` and echoed it; the caller reads its own value again.
    assert text_of(result) == f"received: write to {EMAIL}"
    assert result.structured_content == {"result": f"received: write to {EMAIL}"}
    assert decisions(mcp_gateway, result)["pii"]["action"] == "pseudonymize"


def test_personal_data_in_a_result_is_redacted_per_policy(mcp_gateway: McpGateway) -> None:
    plain = call(mcp_gateway, "support", "py__lookup_customer", {"customer_id": "42"})
    redacted = call(mcp_gateway, "redact", "py__lookup_customer", {"customer_id": "42"})
    assert text_of(plain) == CUSTOMER  # a key whose policy is off
    assert text_of(redacted) == "Customer 42 is Jane Doe, [EMAIL], phone [PHONE]."
    assert redacted.structured_content == {"result": text_of(redacted)}
    found = decisions(mcp_gateway, redacted)["pii.output"]
    assert (found["action"], found["entities"]) == ("redact", {"EMAIL": 1, "PHONE": 1})
