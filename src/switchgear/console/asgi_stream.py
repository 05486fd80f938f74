"""One request to the gateway's own app, in process, with the answer read as it is sent.

httpx's ASGI transport waits for the whole body before it returns, so a streamed answer would
arrive all at once; this calls the app directly and hands each body piece on as it comes, so
the playground shows tokens as the door sends them (through the same edge, door and pipeline
as a client's request)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message


@dataclass(slots=True)
class StreamedReply:
    status: int
    headers: dict[str, str]
    pieces: AsyncIterator[bytes] = field(repr=False)


@contextlib.asynccontextmanager
async def post_json(
    app: ASGIApp, path: str, body: dict[str, Any], headers: dict[str, str]
) -> AsyncIterator[StreamedReply]:
    """POSTs `body` to `path` on `app`; the reply's status and headers, then its body pieces.
    Leaving the block early (the browser went away) tells the app its client hung up."""
    payload = json.dumps(body).encode()
    sent: asyncio.Queue[Message] = asyncio.Queue()
    finished = asyncio.Event()
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await finished.wait()  # the body is sent; next is the hang-up, when we are done
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        await sent.put(message)

    # The console request's own Host goes on, so the edge's host check sees what it allowed.
    sent_headers = {"host": "127.0.0.1", **headers, "content-type": "application/json"}
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in sent_headers.items()]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": raw_headers, "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 80), "state": {},
    }  # fmt: skip
    task = asyncio.ensure_future(app(scope, receive, send))

    async def next_message() -> Message | None:
        getter = asyncio.ensure_future(sent.get())
        await asyncio.wait((getter, task), return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        return None if sent.empty() else sent.get_nowait()

    async def pieces() -> AsyncIterator[bytes]:
        while (message := await next_message()) is not None:
            if message["type"] != "http.response.body":
                continue
            if message.get("body"):
                yield bytes(message["body"])
            if not message.get("more_body", False):
                return

    try:
        start = await next_message()
        if start is None or start["type"] != "http.response.start":
            task.result()  # the app failed before it answered: its error, raised here
            raise RuntimeError("The gateway's app ended without an answer.")
        reply_headers = {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}
        yield StreamedReply(int(start["status"]), reply_headers, pieces())
    finally:
        finished.set()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, timeout=30)
