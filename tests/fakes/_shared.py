"""What both fakes share: recording, fault timing, deterministic text, SSE delivery."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import string
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Send

from .behaviour import FakeBehaviour, Mode, RecordedRequest

_ALPHANUMERIC = string.ascii_letters + string.digits
SSE_HEADERS = {"cache-control": "no-cache"}
SSE_MEDIA_TYPE = "text/event-stream; charset=utf-8"


def new_id(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def dumps(payload: Any) -> str:
    # Both providers send compact JSON; byte-level tests of the framing rely on it.
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


async def read_request(request: Request, behaviour: FakeBehaviour) -> RecordedRequest:
    """Record the request exactly as it arrived, whether or not it will be accepted."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    try:
        parsed: Any = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        parsed = None
    recorded = RecordedRequest(
        method=request.method,
        path=request.url.path,
        query=request.url.query,
        headers={name.lower(): value for name, value in request.headers.items()},
        body=raw,
        json=parsed,
    )
    behaviour.record(recorded)
    return recorded


def word_pieces(text: str) -> list[str]:
    """Stream pieces, one per word with its surrounding spaces, so they re-join exactly."""
    return re.findall(r"\s*\S+\s*", text)


def count_tokens(text: str) -> int:
    # Same unit as `word_pieces`, so streamed and non-streamed usage always agree.
    return len(text.split())


StopKind = Literal["end", "length", "stop_sequence"]


@dataclass(frozen=True)
class Completion:
    """The answer after `max_tokens` and stop sequences have had their say."""

    text: str
    kind: StopKind
    stop_sequence: str | None = None


def complete(text: str, max_tokens: int | None, stops: Sequence[str]) -> Completion:
    """Cut the scripted answer the way a model would: at a stop sequence or the token limit."""
    stop_at, matched = len(text), None
    for stop in stops:
        found = text.find(stop) if stop else -1
        if 0 <= found < stop_at:
            stop_at, matched = found, stop
    pieces = word_pieces(text[:stop_at])
    if max_tokens is not None and len(pieces) > max_tokens:
        return Completion("".join(pieces[:max_tokens]), "length")
    if matched is not None:
        return Completion(text[:stop_at], "stop_sequence", matched)
    return Completion(text, "end")


def pick_tool(
    names: Sequence[str], choice: str, forced: str | None, question: str | None
) -> str | None:
    """The tool the fake calls: the forced one, any one when a call is required, otherwise the
    first one only when a fresh user question mentions the weather."""
    if not names or choice == "none":
        return None
    if forced is not None:
        return forced
    if choice in ("required", "any"):
        return names[0]
    if question is not None and "weather" in question.lower():
        return names[0]
    return None


def split_json(arguments: str) -> list[str]:
    """Tool arguments arrive as fragments that are not JSON on their own, as upstreams send them."""
    middle = max(1, len(arguments) // 2)
    return [arguments[:middle], arguments[middle:]]


class FaultBodies(Protocol):
    """The provider-specific error responses the shared fault logic needs."""

    def refused(self) -> Response: ...

    def server_error(self) -> Response: ...

    def rate_limited(self, retry_after: int) -> Response: ...


async def early_fault(
    mode: Mode, request: Request, behaviour: FakeBehaviour, bodies: FaultBodies
) -> Response | None:
    """Faults that act before any answer is built; None means go on and answer."""
    if mode == "hang":
        await _hang(request, behaviour.hang_seconds)
    elif mode == "refuse":
        return bodies.refused()
    elif mode == "error500":
        return bodies.server_error()
    elif mode == "rate_limit":
        return bodies.rate_limited(behaviour.retry_after)
    return None


async def _hang(request: Request, seconds: float) -> None:
    # Stop as soon as the client gives up, so a timed-out test leaves no request behind that
    # would hold up the server's shutdown.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        if await request.is_disconnected():
            return
        await asyncio.sleep(min(0.05, left))


class _CutResponse(StreamingResponse):
    """Returns without the final body message: uvicorn then closes the socket mid-body,
    which is what a client sees when an upstream dies (no last chunk, no terminator)."""

    async def stream_response(self, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        async for chunk in self.body_iterator:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})


def json_response(
    payload: Any, mode: Mode, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON answer, damaged the way `mode` asks for a non-streaming request."""
    body = dumps(payload).encode()
    if mode == "cut_stream":

        async def half() -> AsyncIterator[bytes]:
            yield body[: len(body) // 2]

        # A Content-Length the body never reaches, as when the connection drops mid-response.
        cut_headers = {**(headers or {}), "content-length": str(len(body))}
        return _CutResponse(half(), status, cut_headers, "application/json")
    if mode == "garbage_sse":
        body = b'{"this is": not json'
    return Response(body, status, headers, "application/json")


@dataclass(frozen=True)
class SSEEvent:
    frame: str
    carries_content: bool = False  # a text/argument delta: where cuts and garbage are placed


def sse_response(
    events: Sequence[SSEEvent],
    mode: Mode,
    garbage: str,
    delay: float,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Deliver SSE frames, with the stream fault of `mode` applied."""
    cut = mode == "cut_stream"

    async def frames() -> AsyncIterator[bytes]:
        content_sent = 0
        for position, event in enumerate(events):
            if position and delay:
                await asyncio.sleep(delay)
            yield event.frame.encode()
            if not event.carries_content:
                continue
            content_sent += 1
            if mode == "garbage_sse" and content_sent == 1:
                yield garbage.encode()
            if cut and content_sent == 2:
                return

    all_headers = {**SSE_HEADERS, **(headers or {})}
    response_class = _CutResponse if cut else StreamingResponse
    return response_class(frames(), 200, all_headers, SSE_MEDIA_TYPE)
