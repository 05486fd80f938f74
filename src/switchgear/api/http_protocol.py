"""uvicorn's httptools protocol with the limits a public-facing server needs and its own
rejections in the API's JSON shape:

- at most `max_headers` headers and `max_header_bytes` of request line and headers (431);
- the request line and headers must arrive within `header_timeout_s` of the connection opening
  or of the previous response (408): a slowloris client cannot hold a connection open;
- a request the HTTP parser cannot read gets a JSON 400, not uvicorn's plain-text one.

Bodies have their own idle timeout where they are read (`api/body.py`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from switchgear.config import ServerConfig

_REASONS = {400: b"Bad Request", 408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


class _Refuse(Exception):
    """Raised inside a parser callback to stop parsing; httptools re-raises it from
    `feed_data` as an `HttpParserCallbackError`, which `data_received` turns into a reply."""


def protocol_for(settings: ServerConfig) -> type[HttpToolsProtocol]:
    """A protocol class carrying these settings (uvicorn builds one instance per connection)."""

    class LimitedHttpToolsProtocol(GuardedProtocol):
        max_headers = settings.max_headers
        max_header_bytes = settings.max_header_bytes
        header_timeout_s = settings.header_timeout_s

    return LimitedHttpToolsProtocol


class GuardedProtocol(HttpToolsProtocol):
    max_headers = 100
    max_header_bytes = 64 * 1024
    header_timeout_s = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_count = 0
        self._header_bytes = 0
        self._refusal: tuple[int, str, str] | None = None
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0
        self._header_bytes = 0
        if self._header_timer is None:
            self._start_header_timer()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.max_headers:
            self._refusal = (431, f"More than {self.max_headers} headers.", "too_many_headers")
            raise _Refuse
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._stop_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport is not None and not self.transport.is_closing():
            self._start_header_timer()  # the next request on this connection

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.max_header_bytes:
            self._refusal = (
                431,
                f"The request line and headers exceed {self.max_header_bytes} bytes.",
                "headers_too_large",
            )
            raise _Refuse

    def _start_header_timer(self) -> None:
        self._stop_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is being answered; its body has its own timeout
        self._refusal = (
            408,
            f"The request headers did not arrive within {self.header_timeout_s:g} s.",
            "request_timeout",
        )
        self.send_400_response("")

    def send_400_response(self, msg: str) -> None:
        status, message, code = self._refusal or (400, "Invalid HTTP request.", "invalid_http")
        body = msgspec.json.encode(
            {
                "error": {
                    "message": message,
                    "type": "invalid_request_error",
                    "param": None,
                    "code": code,
                }
            }
        )
        head = [f"HTTP/1.1 {status} ".encode() + _REASONS[status] + b"\r\n"]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(b"content-type: application/json\r\n")
        head.append(b"content-length: " + str(len(body)).encode("ascii") + b"\r\n")
        head.append(b"connection: close\r\n\r\n")
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(head) + body)
            self.transport.close()
