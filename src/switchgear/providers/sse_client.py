"""Reading server-sent events from an upstream, and the one streaming POST both providers make.

Lines are split on bytes (CR, LF or CRLF only), not with `str.splitlines` as many clients'
line iterators do: that also splits on U+2028, U+0085 and form feeds, which an upstream may
send raw inside a JSON string, and would break an event in two.

The HTTP client is aiohttp, chosen by measurement (bench/RESULTS.md): httpx's connection pool
re-scans every connection on each request, which cost ~45% of the gateway's CPU at 32
concurrent requests; aiohttp's pool and C parser do the same work for a fraction.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator

import aiohttp

from switchgear.providers.config import ProviderConfig
from switchgear.providers.http_errors import (
    error_from_exception,
    error_from_response,
    secrets_of,
    stream_broken,
)
from switchgear.tracing.spans import outgoing_headers

Event = tuple[str | None, str]

# One event is a chunk of a few hundred bytes; megabytes without a line break is not SSE.
MAX_EVENT_BYTES = 8 * 1024 * 1024
# After the final event only the body's terminator is left to read; reading it lets the
# connection go back to the pool instead of being closed.
DRAIN_SECONDS = 0.5

_LINE_END = re.compile(rb"\r\n|\r|\n")


class SSEError(Exception):
    """The stream is not server-sent events (an event or line over the size limit)."""


async def iter_lines(
    chunks: AsyncIterable[bytes], max_line_bytes: int = MAX_EVENT_BYTES
) -> AsyncIterator[bytes]:
    parts: list[bytes] = []  # the line being read, in the pieces it arrived in
    size = 0
    async for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if b"\n" in chunk or b"\r" in chunk:
            buffer = b"".join(parts)
            # A CR at the end may be the first half of a CRLF split across chunks.
            hold_cr = buffer.endswith(b"\r")
            lines = _LINE_END.split(buffer[:-1] if hold_cr else buffer)
            tail = lines.pop() + (b"\r" if hold_cr else b"")
            parts, size = [tail], len(tail)
            for line in lines:
                yield line
        if size > max_line_bytes:
            raise SSEError(f"a line longer than {max_line_bytes} bytes")
    tail = b"".join(parts)
    if tail:
        yield tail.rstrip(b"\r")


async def iter_events(
    chunks: AsyncIterable[bytes], max_event_bytes: int = MAX_EVENT_BYTES
) -> AsyncIterator[Event]:
    """`(event name or None, data)` per event, as the WHATWG parsing rules give them.

    An event left unterminated by the end of the body is still dispatched: an upstream that
    forgets the blank line after its last event should not lose it. A cut connection is
    reported by the HTTP client, not here.
    """
    name: str | None = None
    data: list[str] = []
    size = 0
    async for raw in iter_lines(chunks, max_event_bytes):
        if not raw:
            if data:
                yield name, "\n".join(data)
            name, data, size = None, [], 0
            continue
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(":"):
            continue  # a comment, often a keep-alive
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
            size += len(raw)
            if size > max_event_bytes:
                raise SSEError(f"an event longer than {max_event_bytes} bytes")
        elif field == "event":
            name = value or None
        # `id` and `retry` only matter to a client that reconnects; we never resume a stream.
    if data:
        yield name, "\n".join(data)


class UpstreamClient:
    """The HTTP side of a provider: one pooled session per provider, whose pool caps concurrent
    requests at `max_concurrency` (more wait for a free connection, up to `timeout_s`).

    `timeout_s` bounds each wait for the upstream (first byte, and every gap between chunks),
    not the whole answer, so a long generation that keeps streaming is never cut off.
    """

    def __init__(self, name: str, settings: ProviderConfig) -> None:
        self.name = name
        self.settings = settings
        self.secrets: tuple[str, ...] = ()
        self._client: aiohttp.ClientSession | None = None

    def open(self, headers: dict[str, str], key: str | None) -> None:
        """Call inside the running event loop (a provider's `start`)."""
        self.secrets = secrets_of(key, self.settings.headers)
        settings = self.settings
        self._client = aiohttp.ClientSession(
            headers=headers,
            connector=aiohttp.TCPConnector(limit=settings.max_concurrency, limit_per_host=0),
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=settings.timeout_s,  # waiting for a pooled connection, then connecting
                sock_connect=settings.connect_timeout_s,
                sock_read=settings.timeout_s,
            ),
            auto_decompress=True,
            # Proxies from the environment are an operator's choice per provider, not implied.
            trust_env=False,
        )

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    def is_open(self) -> bool:
        return self._client is not None

    def post(self, url: str, body: bytes) -> AsyncGenerator[Event, None]:
        if self._client is None:
            raise RuntimeError(f"provider {self.name!r} is not started")
        return post_events(self._client, url, body, provider=self.name, secrets=self.secrets)


async def post_events(
    client: aiohttp.ClientSession,
    url: str,
    body: bytes,
    *,
    provider: str,
    secrets: tuple[str, ...],
) -> AsyncGenerator[Event, None]:
    """POST `body` and yield the answer's events; every failure becomes an `UpstreamError`."""
    streaming = False
    try:
        traced = outgoing_headers()  # the trip's `traceparent`, where tracing is on
        async with client.post(url, data=body, headers=traced, allow_redirects=False) as response:
            if response.status >= 300:
                raise await error_from_response(response, provider, secrets)
            streaming = True
            async for event in iter_events(response.content.iter_any()):
                yield event
    except (TimeoutError, aiohttp.ClientError) as error:
        raise error_from_exception(error, provider, streaming=streaming) from error
    except SSEError as error:
        raise stream_broken(provider, str(error)) from error


async def drain(events: AsyncIterator[Event]) -> None:
    """Read what follows the final event, briefly, ignoring whatever it is."""
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            async for _ in events:
                pass
    except Exception:
        pass  # the answer is complete; a slow or broken ending costs only the connection
