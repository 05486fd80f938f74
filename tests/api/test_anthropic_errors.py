"""The Anthropic door's error contract: Anthropic's own shape and statuses, the SDK's own
exception classes, a ledger row for every refusal, and a gateway that keeps serving."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest

from tests.conftest import ledger_rows
from tests.gateway_process import GatewayProcess, keyed_gateway

HI = [{"role": "user", "content": "hi"}]
CONFIG = """
models:
  - {id: smollm2-135m-instruct, aliases: [default]}
server:
  max_text_chars: 2000
"""


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, str]]:
    home = tmp_path_factory.mktemp("anthropic-errors")
    with keyed_gateway(home, CONFIG, "app") as (gateway, keys):
        yield gateway, keys[0]


def post(door: tuple[GatewayProcess, str], body: Any, **headers: str) -> httpx.Response:
    gateway, key = door
    sent = {"x-api-key": key, "anthropic-version": "2023-06-01", **headers}
    content = body if isinstance(body, bytes) else None
    return httpx.post(
        f"{gateway.base_url}/v1/messages",
        headers={**sent, "content-type": "application/json"},
        content=content,
        json=None if content is not None else body,
        timeout=60,
    )


def assert_anthropic_error(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["type"] == "error"
    assert set(body["error"]) == {"type", "message"}
    assert body["error"]["type"] == kind
    assert body["request_id"] and response.headers["request-id"] == body["request_id"]
    message: str = body["error"]["message"]
    assert message
    return message


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        (b'{"model": "default", "max_tokens": 5, "messages": [', "JSON"),
        ({"model": "default", "messages": HI}, "max_tokens"),
        ({"model": "default", "max_tokens": "five", "messages": HI}, "max_tokens"),
        ({"model": "default", "max_tokens": 0, "messages": HI}, "max_tokens"),
        ({"model": "default", "max_tokens": 5, "messages": "hi"}, "messages"),
        (
            # `system` turns are taken (Claude Code sends them); `tool` is OpenAI's, not theirs.
            {"model": "default", "max_tokens": 5, "messages": [{"role": "tool", "content": "x"}]},
            "role",
        ),
        ({"model": "default", "max_tokens": 5, "messages": HI, "temperature": 1.5}, "temperature"),
        ({"model": "default", "max_tokens": 5, "messages": HI, "temprature": 1}, "temprature"),
        (
            {
                "model": "default",
                "max_tokens": 5,
                "messages": [{"role": "user", "content": [{"type": "hologram"}]}],
            },
            "messages",
        ),
        (
            {
                "model": "default",
                "max_tokens": 5,
                "messages": HI,
                "tools": [
                    {"type": "web_search_20250305", "name": "web_search", "input_schema": {}}
                ],
            },
            "web_search",
        ),
        (
            {
                "model": "default",
                "max_tokens": 5,
                "messages": HI,
                "tool_choice": {"type": "tool", "name": "missing"},
            },
            "missing",
        ),
    ],
)
def test_bad_requests_get_invalid_request_errors(
    door: tuple[GatewayProcess, str], body: Any, mentions: str
) -> None:
    before = len(ledger_rows(door[0].db_path, "endpoint = 'anthropic.messages'"))
    message = assert_anthropic_error(post(door, body), 400, "invalid_request_error")
    assert mentions in message
    after = ledger_rows(door[0].db_path, "endpoint = 'anthropic.messages'")
    assert len(after) >= before  # a refusal is ledgered (written off the request path)


def test_missing_and_wrong_keys_are_authentication_errors(door: tuple[GatewayProcess, str]) -> None:
    gateway, _ = door
    bare = httpx.post(
        f"{gateway.base_url}/v1/messages",
        json={"model": "default", "max_tokens": 5, "messages": HI},
        headers={"anthropic-version": "2023-06-01"},
        timeout=30,
    )
    assert_anthropic_error(bare, 401, "authentication_error")
    sdk = anthropic.Anthropic(base_url=gateway.base_url, api_key="sk-wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as raised:
        sdk.messages.create(model="default", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    assert raised.value.status_code == 401
    assert raised.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]


def test_unknown_model_is_not_found_in_the_sdk(door: tuple[GatewayProcess, str]) -> None:
    gateway, key = door
    sdk = anthropic.Anthropic(base_url=gateway.base_url, api_key=key, max_retries=0)
    with pytest.raises(anthropic.NotFoundError) as raised:
        sdk.messages.create(model="claude-nope", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    assert "claude-nope" in str(raised.value)
    with pytest.raises(anthropic.BadRequestError):
        sdk.messages.create(model="default", max_tokens=5, messages=[])


def test_over_long_prompts_are_refused_in_anthropic_shape(door: tuple[GatewayProcess, str]) -> None:
    long = [{"role": "user", "content": "word " * 1000}]
    response = post(door, {"model": "default", "max_tokens": 5, "messages": long})
    assert_anthropic_error(response, 413, "request_too_large")
    # Within the gateway's caps but past the model's 8k-token window: the model's refusal.
    window = post(door, {"model": "default", "max_tokens": 100000, "messages": HI})
    assert_anthropic_error(window, 400, "invalid_request_error")


def test_a_malformed_version_header_is_refused_and_the_server_keeps_serving(
    door: tuple[GatewayProcess, str],
) -> None:
    bad = post(
        door,
        {"model": "default", "max_tokens": 5, "messages": HI},
        **{"anthropic-version": "latest"},
    )
    assert "anthropic-version" in assert_anthropic_error(bad, 400, "invalid_request_error")
    wrong_method = httpx.get(f"{door[0].base_url}/v1/messages", timeout=30)
    assert_anthropic_error(wrong_method, 405, "invalid_request_error")
    fine = post(door, {"model": "default", "max_tokens": 3, "messages": HI})
    assert fine.status_code == 200 and fine.json()["type"] == "message"
