"""Every bad request gets an OpenAI-shaped error with the right status, and nothing breaks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import wait_for_ledger_row
from tests.gateway_process import GatewayProcess

HI = [{"role": "user", "content": "hi"}]


def post(gateway: GatewayProcess, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{gateway.base_url}{path}", timeout=60, **kwargs)


def assert_openai_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    return error


@pytest.mark.parametrize(
    ("payload", "param", "code"),
    [
        ({"model": "default", "messages": HI, "max_tokens": "5"}, "max_tokens", "invalid_value"),
        ({"model": "default", "messages": HI, "temperature": 3}, "temperature", "invalid_value"),
        ({"model": "default", "messages": "hi"}, "messages", "invalid_value"),
        ({"model": "default", "messages": []}, "messages", "invalid_value"),
        (
            {"model": "default", "messages": [{"role": "robot", "content": "x"}]},
            "messages[0].role",
            "invalid_value",
        ),
        ({"model": "default"}, "messages", "missing_required_parameter"),
        ({"messages": HI}, "model", "missing_required_parameter"),
        ({"model": "default", "messages": HI, "temprature": 1}, "temprature", "unknown_parameter"),
        ({"model": "default", "messages": HI, "n": 2}, "n", "unsupported_parameter"),
        (
            {"model": "default", "messages": HI, "stop": list("abcdefghijklmnopq")},
            "stop",
            "invalid_value",
        ),
        (
            {"model": "default", "messages": HI, "stream_options": {"include_usage": True}},
            "stream_options",
            None,
        ),
        (
            {
                "model": "default",
                "messages": HI,
                "tools": [{"type": "code_interpreter"}],
            },
            "tools[0].type",
            "unsupported_parameter",
        ),
        (
            {
                "model": "default",
                "messages": HI,
                "tools": [
                    {
                        "type": "function",
                        "function": {"name": "f", "parameters": {"type": "object", "not": {}}},
                    }
                ],
            },
            "tools[0].function.parameters.not",
            "unsupported_parameter",
        ),
        (
            {
                "model": "default",
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}],
                    }
                ],
            },
            "messages[0].content",
            "unsupported_parameter",
        ),
    ],
)
def test_invalid_chat_requests_get_400_naming_the_parameter(
    gateway: GatewayProcess, payload: dict[str, Any], param: str, code: str | None
) -> None:
    error = assert_openai_error(post(gateway, "/v1/chat/completions", json=payload), 400)
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error["code"] == code


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]", b'{"model": "default",'])
def test_malformed_json_gets_400(gateway: GatewayProcess, body: bytes) -> None:
    response = post(
        gateway, "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert_openai_error(response, 400)


def test_invalid_utf8_gets_400(gateway: GatewayProcess) -> None:
    body = b'{"model": "default", "messages": [{"role": "user", "content": "\xff\xfe"}]}'
    assert_openai_error(post(gateway, "/v1/chat/completions", content=body), 400)


def test_unknown_model_gets_404_listing_known_models(gateway: GatewayProcess) -> None:
    response = post(gateway, "/v1/chat/completions", json={"model": "gpt-9", "messages": HI})
    error = assert_openai_error(response, 404)
    assert error["code"] == "model_not_found"
    assert error["param"] == "model"
    assert "smollm2-135m-instruct" in error["message"]
    row = wait_for_ledger_row(gateway.db_path, response.headers["x-request-id"])
    assert (row["status"], row["http_status"], row["model"]) == ("error", 404, "gpt-9")


def test_prompt_over_the_context_window_says_how_many_tokens(gateway: GatewayProcess) -> None:
    long_text = "word " * 9000
    response = post(
        gateway,
        "/v1/chat/completions",
        json={"model": "default", "messages": [{"role": "user", "content": long_text}]},
    )
    error = assert_openai_error(response, 400)
    assert error["code"] == "context_length_exceeded"
    assert "8192" in error["message"]
    assert "9000" in error["message"] or "90" in error["message"]


def test_max_tokens_beyond_the_window_is_refused(gateway: GatewayProcess) -> None:
    payload = {"model": "default", "messages": HI, "max_tokens": 100000}
    error = assert_openai_error(post(gateway, "/v1/chat/completions", json=payload), 400)
    assert error["code"] == "context_length_exceeded"


def test_oversized_body_gets_413(gateway: GatewayProcess) -> None:
    huge = {"model": "default", "messages": [{"role": "user", "content": "x" * 9_000_000}]}
    error = assert_openai_error(post(gateway, "/v1/chat/completions", json=huge), 413)
    assert error["code"] == "request_too_large"


def test_wrong_route_and_method(gateway: GatewayProcess) -> None:
    assert_openai_error(post(gateway, "/v1/nothing-here", json={}), 404)
    assert_openai_error(httpx.get(f"{gateway.base_url}/v1/chat/completions"), 405)


def test_the_server_keeps_serving_after_bad_requests(gateway: GatewayProcess) -> None:
    for body in (b"{", b"null", b'{"model": 1}'):
        post(gateway, "/v1/chat/completions", content=body)
    ok = post(
        gateway, "/v1/chat/completions", json={"model": "default", "messages": HI, "max_tokens": 2}
    )
    assert ok.status_code == 200
    assert ok.json()["choices"][0]["message"]["content"] is not None


def test_rejected_bodies_are_in_the_ledger(gateway: GatewayProcess) -> None:
    response = post(gateway, "/v1/chat/completions", content=b"{oops")
    row = wait_for_ledger_row(gateway.db_path, response.headers["x-request-id"])
    assert (row["status"], row["http_status"], row["error_code"]) == ("error", 400, "invalid_json")
