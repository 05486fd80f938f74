"""The SSE parser and the error mapping, without a network."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from multidict import CIMultiDict

from switchgear.providers.http_errors import (
    error_from_event,
    error_from_exception,
    error_from_status,
    parse_retry_after,
    secrets_of,
)
from switchgear.providers.sse_client import Event, SSEError, iter_events


async def _chunks(pieces: list[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


def events(*pieces: bytes, limit: int = 1 << 20) -> list[Event]:
    async def run() -> list[Event]:
        return [event async for event in iter_events(_chunks(list(pieces)), limit)]

    return asyncio.run(run())


def test_data_lines_events_and_comments() -> None:
    stream = (
        b": keep-alive\n\n"
        b"data: one\n\n"
        b'event: message_start\ndata: {"a": 1}\n\n'
        b"data: first\ndata: second\n\n"
        b"data:no-space\nid: 7\nretry: 10\n\n"
    )
    assert events(stream) == [
        (None, "one"),
        ("message_start", '{"a": 1}'),
        (None, "first\nsecond"),
        (None, "no-space"),
    ]


def test_every_line_ending_and_any_split() -> None:
    stream = b"data: a\r\n\r\nevent: e\rdata: b\r\rdata: c\n\n"
    expected = [(None, "a"), ("e", "b"), (None, "c")]
    assert events(stream) == expected
    for size in (1, 2, 3, 5):  # a CRLF split across chunks must stay one line end
        pieces = [stream[i : i + size] for i in range(0, len(stream), size)]
        assert events(*pieces) == expected


def test_only_cr_and_lf_end_lines() -> None:
    # str.splitlines would cut these; an upstream may send them raw inside JSON strings.
    data = '{"text": "a\u2028b\u0085c\x0cd\x1ce"}'
    assert events(f"data: {data}\n\n".encode()) == [(None, data)]


def test_event_without_data_is_not_dispatched() -> None:
    assert events(b"event: ping\n\n", b"data: x\n\n") == [(None, "x")]


def test_an_unterminated_last_event_is_kept() -> None:
    assert events(b"data: [DONE]") == [(None, "[DONE]")]
    assert events(b"data: [DONE]\r") == [(None, "[DONE]")]
    assert events(b"") == []


def test_an_endless_line_fails_instead_of_growing() -> None:
    with pytest.raises(SSEError):
        events(*[b"x" * 100] * 20, limit=1000)
    with pytest.raises(SSEError):
        events(*[b"data: 123456789\n"] * 200, limit=1000)


def test_retry_after_forms() -> None:
    assert parse_retry_after(CIMultiDict({"retry-after": "7"})) == 7.0
    assert parse_retry_after(CIMultiDict({"retry-after": "1.5"})) == 1.5
    assert parse_retry_after(CIMultiDict({"retry-after-ms": "250", "retry-after": "9"})) == 0.25
    date = CIMultiDict({"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"})
    assert parse_retry_after(date, now=1445412480.0) == 30.0
    assert parse_retry_after(date) == 0.0  # a date in the past means now
    assert parse_retry_after(CIMultiDict({"retry-after": "soon"})) is None
    assert parse_retry_after(CIMultiDict()) is None


def test_status_mapping() -> None:
    headers = CIMultiDict({"retry-after": "3"})
    body = b'{"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}}'
    limited = error_from_status(429, headers, body, "up", ())
    assert (limited.status, limited.retryable, limited.retry_after) == (429, True, 3.0)
    assert (limited.message, limited.code, limited.type) == (
        "slow down",
        "rate_limit_exceeded",
        "requests",
    )

    server = error_from_status(503, CIMultiDict(), b"<html>oops</html>", "up", ())
    assert (server.status, server.retryable) == (502, True)
    assert "HTTP 503" in server.message and "<html>oops</html>" in server.message

    anthropic = b'{"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}'
    bad = error_from_status(400, CIMultiDict(), anthropic, "up", ())
    assert (bad.status, bad.retryable, bad.message, bad.type) == (
        400,
        False,
        "bad",
        "invalid_request_error",
    )


def test_refused_credentials_never_echo_the_key() -> None:
    body = b'{"error": {"message": "Incorrect API key provided: sk-secret-123456"}}'
    error = error_from_status(401, CIMultiDict(), body, "up", secrets_of("sk-secret-123456", {}))
    assert "sk-secret-123456" not in error.message
    assert (error.status, error.retryable, error.code) == (502, True, "upstream_auth_failed")


def test_secret_headers_are_redacted_too() -> None:
    secrets = secrets_of(None, {"Authorization": "Bearer tok-abcdefgh", "anthropic-beta": "x"})
    assert "tok-abcdefgh" in secrets
    assert all(s != "x" for s in secrets)


def test_exception_mapping() -> None:
    async def refused_error() -> aiohttp.ClientError:
        with socket.socket() as unused:  # a port nothing listens on
            unused.bind(("127.0.0.1", 0))
            port = unused.getsockname()[1]
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientError) as caught:
                await session.get(f"http://127.0.0.1:{port}/")
        return caught.value

    error = asyncio.run(refused_error())
    refused = error_from_exception(error, "up", streaming=False)
    assert (refused.status, refused.retryable, refused.code) == (502, True, "upstream_unreachable")
    timeout = error_from_exception(aiohttp.SocketTimeoutError("slow"), "up", streaming=False)
    assert (timeout.status, timeout.retryable) == (504, True)
    connect = error_from_exception(aiohttp.ConnectionTimeoutError("busy"), "up", streaming=False)
    assert "did not accept a connection" in connect.message
    cut = error_from_exception(aiohttp.ServerDisconnectedError(), "up", streaming=True)
    assert (cut.status, cut.retryable, cut.code) == (502, True, "upstream_stream_broken")
    payload = error_from_exception(aiohttp.ClientPayloadError("cut"), "up", streaming=True)
    assert payload.code == "upstream_stream_broken"
    config = error_from_exception(aiohttp.InvalidURL("ftp://x"), "up", streaming=False)
    assert config.retryable is False


def test_event_errors() -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    assert error_from_event(overloaded, "up", ()).retryable is True
    invalid = {"type": "error", "error": {"type": "invalid_request_error", "message": "no"}}
    error = error_from_event(invalid, "up", ())
    assert (error.retryable, error.status, error.message) == (False, 400, "no")
