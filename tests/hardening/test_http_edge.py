"""What a hostile or broken HTTP client gets, over raw sockets: oversized and too many headers,
slow headers and bodies, garbage instead of HTTP, JSON nested a thousand levels deep. Each is
refused with a JSON error in the API's shape, and the gateway keeps serving."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.gateway_process import GatewayProcess

CONFIG = """
server:
  header_timeout_s: 1.0
  body_timeout_s: 1.0
  max_headers: 50
  max_header_bytes: 16384
"""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    home = tmp_path_factory.mktemp("http-edge")
    config = home / "switchgear.yaml"
    config.write_text(CONFIG)
    process = GatewayProcess(home, config)
    yield process
    process.stop()


def exchange(gateway: GatewayProcess, raw: bytes, pause_after: float = 0.0) -> bytes:
    """Sends `raw`, optionally waits, and reads until the server closes (or 10 s pass)."""
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as sock:
        sock.sendall(raw)
        if pause_after:
            time.sleep(pause_after)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def status_and_error(reply: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"application/json" in head.lower(), head
    error: dict[str, object] = json.loads(body)["error"]
    return status, error


def still_serving(gateway: GatewayProcess) -> None:
    assert httpx.get(f"{gateway.base_url}/healthz", timeout=5).status_code == 200


def test_an_oversized_header_is_a_431(gateway: GatewayProcess) -> None:
    raw = b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    status, error = status_and_error(exchange(gateway, raw))
    assert status == 431 and error["code"] == "headers_too_large"
    still_serving(gateway)


def test_too_many_headers_is_a_431(gateway: GatewayProcess) -> None:
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(20_000))
    raw = b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n" + many + b"\r\n"
    status, error = status_and_error(exchange(gateway, raw))
    assert status == 431 and error["code"] == "too_many_headers"
    still_serving(gateway)


def test_headers_that_trickle_in_are_cut_off(gateway: GatewayProcess) -> None:
    began = time.monotonic()
    reply = exchange(gateway, b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    status, error = status_and_error(reply)
    assert status == 408 and error["code"] == "request_timeout"
    assert time.monotonic() - began < 5
    still_serving(gateway)


def test_a_body_that_stalls_is_cut_off(gateway: GatewayProcess) -> None:
    raw = (
        b"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"model": '
    )
    began = time.monotonic()
    status, error = status_and_error(exchange(gateway, raw))
    assert status == 408 and error["code"] == "request_timeout"
    assert time.monotonic() - began < 5
    still_serving(gateway)


@pytest.mark.parametrize(
    "raw",
    [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,  # a TLS hello
        b"GET / HTTP/9.9\r\n\r\n",
        b"NOT HTTP AT ALL\r\n\r\n",
        b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    ],
)
def test_garbage_gets_a_json_400(gateway: GatewayProcess, raw: bytes) -> None:
    status, error = status_and_error(exchange(gateway, raw))
    assert status == 400 and error["code"] == "invalid_http"
    still_serving(gateway)


USER = [{"role": "user", "content": "x"}]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/chat/completions", {"model": "default", "messages": USER,
                                  "tools": [{"type": "function", "function": {"name": "f",
                                             "parameters": "DEEP"}}]}),
        ("/v1/chat/completions", {"model": "default", "messages": USER,
                                  "response_format": "DEEP"}),
        ("/v1/completions", {"model": "default", "prompt": "DEEP"}),
        ("/v1/embeddings", {"model": "all-minilm-l6-v2", "input": "DEEP"}),
        ("/v1/moderations", {"input": "DEEP"}),
    ],
)  # fmt: skip
def test_deeply_nested_json_is_a_400(gateway: GatewayProcess, path: str, body: object) -> None:
    deep = "[" * 1000 + "1" + "]" * 1000
    raw = json.dumps(body).replace('"DEEP"', deep)
    response = httpx.post(
        f"{gateway.base_url}{path}",
        content=raw,
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "json_too_deep"
    still_serving(gateway)


def test_text_past_the_cap_is_a_413_naming_it(gateway: GatewayProcess) -> None:
    body = {"model": "default", "prompt": "x" * 2_100_000}
    response = httpx.post(f"{gateway.base_url}/v1/completions", json=body, timeout=60)
    assert response.status_code == 413, response.text
    assert "server.max_text_chars" in response.json()["error"]["message"]
