"""The `/mcp` door's error contract in MCP's own shape (JSON-RPC errors, or `isError`
results a model can read): bad JSON, wrong types, an unknown tool, an over-long body, and a
gateway that keeps serving afterwards."""

from __future__ import annotations

from typing import Any

import httpx

from tests.mcp_gateway.conftest import McpGateway

ACCEPT = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def post(mcp_gateway: McpGateway, content: bytes) -> httpx.Response:
    headers = {**ACCEPT, "authorization": f"Bearer {mcp_gateway.keys['full']}"}
    return httpx.post(mcp_gateway.url, content=content, headers=headers, timeout=60)


def call(name: Any, arguments: Any) -> bytes:
    body = (
        '{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": %s, '
        '"arguments": %s}}'
    )
    return (body % (name, arguments)).encode()


def rpc_error(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert body["jsonrpc"] == "2.0" and "result" not in body, body
    error: dict[str, Any] = body["error"]
    assert isinstance(error["code"], int) and error["message"]
    return error


def test_bad_json_is_a_parse_error(mcp_gateway: McpGateway) -> None:
    response = post(mcp_gateway, b'{"jsonrpc": "2.0", "id": 1, "method": ')
    assert response.status_code == 400
    assert rpc_error(response)["code"] == -32700


def test_wrong_types_are_invalid_params(mcp_gateway: McpGateway) -> None:
    for name, arguments in (('"py__add"', '"not an object"'), ("42", "{}")):
        response = post(mcp_gateway, call(name, arguments))
        assert rpc_error(response)["code"] in (-32602, -32600), response.text
    # Arguments of the wrong type for the tool's own schema: the tool refuses, readably.
    typed = post(mcp_gateway, call('"py__add"', '{"a": "one", "b": 2}'))
    body = typed.json()
    refused = body.get("error") or body["result"]
    assert refused.get("isError") or refused.get("code") == -32602, body


def test_an_unknown_tool_names_itself(mcp_gateway: McpGateway) -> None:
    error = rpc_error(post(mcp_gateway, call('"py__nope"', "{}")))
    assert error["code"] == -32602 and "py__nope" in error["message"]


def test_an_over_long_body_is_refused_and_the_door_keeps_serving(
    mcp_gateway: McpGateway,
) -> None:
    huge = call('"py__repeat"', '{"text": "%s"}' % ("x" * (9 * 1024 * 1024)))
    refused = post(mcp_gateway, huge)
    assert refused.status_code == 413, refused.text[:300]
    fine = post(mcp_gateway, call('"py__add"', '{"a": 2, "b": 3}'))
    assert fine.status_code == 200
    assert fine.json()["result"]["content"][0]["text"] == "5"
