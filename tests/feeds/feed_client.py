"""A feed client for the tests: streams NDJSON lines up and reads the server-sent events back
on the same connection at the same time (aiohttp writes the body in a task of its own; httpx
would send the whole body before reading a byte of the answer)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp

Message = dict[str, Any]


@dataclass
class FeedCall:
    """What came back: the HTTP status, the JSON error of a refused feed, the events in
    order, and whether the stream ended with `[DONE]`."""

    status: int = 0
    error: Message | None = None
    messages: list[Message] = field(default_factory=list)
    done: bool = False
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def seen(self, wanted: Callable[[Message], bool]) -> Message:
        """Waits for the first message `wanted` picks (the body waits on the answer)."""
        while True:
            found = next((m for m in self.messages if wanted(m)), None)
            if found is not None:
                return found
            self._arrived.clear()
            await self._arrived.wait()

    def of_type(self, kind: str) -> list[Message]:
        return [m for m in self.messages if m["type"] == kind]

    def text_of(self, event: Any) -> str:
        return "".join(m["delta"] for m in self.of_type("delta") if m["event"] == event)


def line(event: Message | str) -> bytes:
    return ((event if isinstance(event, str) else json.dumps(event)) + "\n").encode()


Body = Callable[[FeedCall], AsyncIterator[bytes]]


async def post_feed(
    base_url: str,
    route: str,
    body: Body,
    key: str | None = None,
    stop_when: Callable[[Message], bool] | None = None,
) -> FeedCall:
    """POSTs `body(call)` to `/v1/feeds/{route}`; `stop_when`: hang up at that message."""
    call = FeedCall()
    headers = {"content-type": "application/x-ndjson"}
    if key is not None:
        headers["authorization"] = f"Bearer {key}"
    timeout = aiohttp.ClientTimeout(total=60)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(f"{base_url}/v1/feeds/{route}", data=body(call), headers=headers) as reply,
    ):
        call.status = reply.status
        if reply.status != 200:
            call.error = await reply.json()
            return call
        async for raw in reply.content:
            text = raw.decode().strip()
            if not text.startswith("data: "):
                continue
            if text == "data: [DONE]":
                call.done = True
                break
            message = json.loads(text[6:])
            call.messages.append(message)
            call._arrived.set()
            if stop_when is not None and stop_when(message):
                break  # leaving the block closes the connection mid-feed
    return call


def feed(base_url: str, route: str, body: Body, key: str | None = None, **kwargs: Any) -> FeedCall:
    runner: Coroutine[Any, Any, FeedCall] = post_feed(base_url, route, body, key, **kwargs)
    return asyncio.run(runner)


def lines_of(*events: Message | str, pause: float = 0.0) -> Body:
    """A body sending `events` one line at a time, `pause` seconds apart."""

    async def body(call: FeedCall) -> AsyncIterator[bytes]:
        for event in events:
            yield line(event)
            await asyncio.sleep(pause)

    return body
