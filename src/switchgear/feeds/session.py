"""One feed's commentary, written one at a time in the order events arrived. Each
commentary is one trip through the pipeline (auth, limits, guards, route, ledger), as a chat
request charged to the feed's key; events that arrived meanwhile are coalesced into the next.

What comes out is a message per thing the client should hear, as plain dicts (the door frames
them as server-sent events):

- `{"type": "delta", "event": id, "delta": text}`: a piece of the commentary on event `id`;
- `{"type": "coalesced", "event": id, "events": [ids]}`: before a commentary covering several
  events (it is tagged with the last);
- `{"type": "event_done", "event": id, "events": [ids], "usage": {…}, "first_token_ms": […],
  …}`: the commentary is over (its ledger row committed); `first_token_ms` per event, from its
  line's arrival to the first token;
- `{"type": "error", "line": n, "error": {…}}`: a line that is no event; with `"event"`
  instead of `"line"`: a commentary the pipeline refused or that broke off;
- `{"type": "dropped", "events": [ids], "count": n}`: events dropped from a full backlog.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from switchgear.feeds.backlog import Backlog, Batch, FeedEvent
from switchgear.feeds.commentary import commentary_request
from switchgear.feeds.config import FeedConfig
from switchgear.schema.errors import GatewayError
from switchgear.schema.requests import ChatCompletionRequest

if TYPE_CHECKING:  # types only: the routing config imports this package's config
    from switchgear.trip import Answer

RunTrip = Callable[[ChatCompletionRequest], Awaitable["Answer"]]
Message = dict[str, Any]


class FeedSession:
    def __init__(self, route: str, config: FeedConfig, run: RunTrip) -> None:
        self.route = route
        self.config = config
        self.run = run
        self.earlier: deque[FeedEvent] = deque(maxlen=config.context_events)

    async def messages(self, backlog: Backlog) -> AsyncIterator[Message]:
        """Until the upload has ended and everything in it has been answered."""
        while True:
            batch = await backlog.take()
            for message in _notices(batch):
                yield message
            if batch.events:
                async for message in self._commentary(batch.events):
                    yield message
                self.earlier.extend(batch.events)
            if batch.ended:
                return

    async def _commentary(self, events: list[FeedEvent]) -> AsyncIterator[Message]:
        tag = events[-1].id
        ids = [event.id for event in events]
        if len(events) > 1:
            yield {"type": "coalesced", "event": tag, "events": ids}
        request = commentary_request(self.route, self.config, events, self.earlier)
        first_token: float | None = None
        finish: str | None = None
        try:
            answer = await self.run(request)
            async for delta in answer.deltas():
                if delta.text:
                    if first_token is None:
                        first_token = time.perf_counter()
                    yield {"type": "delta", "event": tag, "delta": delta.text}
                finish = delta.finish_reason or finish
            await answer.recorded()  # the ledger row is on disk before the client hears "done"
        except GatewayError as error:  # refused or broken off: this commentary only
            if error.recorded is not None:  # failures are ledgered before they are told
                await asyncio.wrap_future(error.recorded)
            yield {"type": "error", "event": tag, "events": ids, **error.to_body()}
            return
        trip = answer.trip
        waited = [
            None if first_token is None else round((first_token - event.arrived) * 1000, 1)
            for event in events
        ]
        yield {
            "type": "event_done",
            "event": tag,
            "events": ids,
            "request_id": trip.request_id,
            "model": trip.target.model_id if trip.target is not None else None,
            "finish_reason": finish,
            "usage": answer.usage().as_dict(),
            "first_token_ms": waited,
        }


def _notices(batch: Batch) -> list[Message]:
    messages: list[Message] = [
        {
            "type": "error",
            "line": notice.line,
            "error": {
                "message": notice.message,
                "type": "invalid_request_error",
                "param": None,
                "code": notice.code,
            },
        }
        for notice in batch.notices
    ]
    if batch.unreported:
        messages.append(
            {
                "type": "error",
                "line": None,
                "error": {
                    "message": f"{batch.unreported} more bad lines were not reported one by one.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_event",
                },
            }
        )
    if batch.dropped_count:
        ids = [event.id for event in batch.dropped]
        messages.append({"type": "dropped", "events": ids, "count": batch.dropped_count})
    return messages
