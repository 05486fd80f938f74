"""What waits between the upload and the commentary: events that arrived while the last
commentary was written (coalesced into the next one), and notices about bad lines. Bounded:
past `limit` waiting events the oldest is dropped, and the stream says which."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

# Bad-line notices that may wait; past it they are counted, not kept.
MAX_NOTICES = 32


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One event of the feed: its id (the client's, or its line number), the fields as sent,
    and when its line arrived (`time.perf_counter`)."""

    id: str | int
    line: int
    fields: dict[str, Any]
    arrived: float = field(default_factory=time.perf_counter)


@dataclass(frozen=True, slots=True)
class LineNotice:
    """A line that is not an event, or (`line` None) a problem with the upload itself."""

    line: int | None
    message: str
    code: str


@dataclass(slots=True)
class Batch:
    """What the next step of the feed deals with, in this order: notices, dropped events, then
    the events its commentary covers. `ended`: the upload is over and nothing else waits."""

    notices: list[LineNotice]
    unreported: int  # notices past MAX_NOTICES, counted only
    dropped: list[FeedEvent]  # the latest `limit` of them
    dropped_count: int
    events: list[FeedEvent]
    ended: bool


class Backlog:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._events: deque[FeedEvent] = deque()
        self._dropped: list[FeedEvent] = []
        self._dropped_count = 0
        self._notices: list[LineNotice] = []
        self._unreported = 0
        self._ended = False
        self._ready = asyncio.Event()

    def add_event(self, event: FeedEvent) -> None:
        if len(self._events) >= self.limit:
            # Bounded: the dropped ids are kept only until the next take, at most `limit`.
            self._dropped.append(self._events.popleft())
            self._dropped_count += 1
            del self._dropped[: -self.limit]
        self._events.append(event)
        self._ready.set()

    def add_notice(self, notice: LineNotice) -> None:
        if len(self._notices) < MAX_NOTICES:
            self._notices.append(notice)
        else:
            self._unreported += 1
        self._ready.set()

    def end(self) -> None:
        """The upload is over: once what waits is taken, the feed ends."""
        self._ended = True
        self._ready.set()

    async def take(self) -> Batch:
        """Everything waiting, once there is something (or the upload ended)."""
        await self._ready.wait()
        self._ready.clear()
        batch = Batch(
            self._notices,
            self._unreported,
            self._dropped,
            self._dropped_count,
            list(self._events),
            self._ended,
        )
        self._notices, self._unreported, self._dropped, self._dropped_count = [], 0, [], 0
        self._events.clear()
        return batch
