"""`POST /v1/feeds/{route}`: a client streams events as NDJSON (one JSON object per line,
chunked upload) and reads commentary back as server-sent events while it is still sending.

The route is in the path, not in the body, so the body is NDJSON and nothing else: any HTTP
client that can stream an upload and read the response at the same time (aiohttp, curl -T -)
speaks it without a wrapper. Refusals that can be known before the first event (no key, a
route without `feed:`, a body that is not NDJSON) are plain HTTP errors in OpenAI's shape;
after that, a bad line is an `error` event and the feed goes on (see `feeds/session.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import msgspec
from starlette.requests import ClientDisconnect, Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from switchgear.api.auth import caller_secret
from switchgear.api.body import nests_deeper_than, paced
from switchgear.api.disconnect import wait_for_disconnect
from switchgear.api.doors import gateway_of
from switchgear.api.sse import DONE, sse_event
from switchgear.feeds.backlog import Backlog, FeedEvent, LineNotice
from switchgear.feeds.config import FeedConfig
from switchgear.feeds.lines import Line, split_lines
from switchgear.feeds.session import FeedSession
from switchgear.gateway import Gateway
from switchgear.governance.governor import Forbidden
from switchgear.schema.errors import GatewayError, InvalidRequest, NotFound

log = logging.getLogger("switchgear.api")

DOOR = "feeds"  # the ledger's endpoint of each commentary, and of a refused feed
_encode = msgspec.json.encode


async def feed(request: Request) -> FeedResponse:
    gateway = gateway_of(request)
    route = request.path_params["route"]
    secret = caller_secret(request)
    try:
        config = _feed_config(gateway, route, secret)
        pieces = paced(request.stream(), config.idle_timeout_s)
        lines = split_lines(pieces, config.max_event_bytes)
        first = await _first_event(lines, config, gateway.config.server.max_json_depth)
    except GatewayError as error:
        gateway.pipeline.record_rejected(DOOR, error)
        raise

    backlog = Backlog(config.backlog)
    backlog.add_event(first)
    session = FeedSession(route, config, lambda chat: gateway.pipeline.run(chat, secret, door=DOOR))
    return FeedResponse(session, backlog, lines, config, gateway.config.server.max_json_depth)


def _feed_config(gateway: Gateway, route: str, secret: str | None) -> FeedConfig:
    """The route's `feed:`, once the caller is known and may use the route."""
    identity = gateway.governor.identify(secret)
    routes = gateway.config.routes
    found = routes.get(route)
    if found is None and route not in gateway.router.names():
        raise NotFound(
            f"The model `{route}` does not exist or you do not have access to it.",
            param="route",
            code="model_not_found",
        )
    if not identity.may_use(route):
        raise Forbidden(
            f"This key may not use `{route}` (allowed: {', '.join(identity.allowed_models)}).",
            code="model_not_allowed",
            param="route",
        )
    if found is None or found.feed is None:
        usable = [n for n, r in routes.items() if r.feed is not None and identity.may_use(n)]
        listed = f" (feed routes: {', '.join(sorted(usable))})" if usable else ""
        raise InvalidRequest(
            f"`{route}` is not a feed route: it has no `feed:` section{listed}.",
            param="route",
            code="not_a_feed",
        )
    return found.feed


async def _first_event(lines: AsyncIterator[Line], config: FeedConfig, depth: int) -> FeedEvent:
    """The first line decides whether the body is NDJSON at all: it must be a JSON object."""
    try:
        line = await anext(lines)
    except StopAsyncIteration:
        raise InvalidRequest(
            "The feed is empty: send one JSON object (an event) per line.", code="invalid_feed"
        ) from None
    except ClientDisconnect:
        raise InvalidRequest("The client left before the first event.") from None
    read = read_event(line, config, depth)
    if isinstance(read, LineNotice):
        raise InvalidRequest(
            f"The body is not NDJSON: {read.message} Send one JSON object per line "
            "(content-type: application/x-ndjson).",
            code="invalid_feed",
        )
    return read


def read_event(line: Line, config: FeedConfig, max_depth: int) -> FeedEvent | LineNotice:
    """One line as an event, or why it is none. An event is named by its `id_field` (a string
    or an integer), else by its line number."""
    number = line.number
    if line.text is None:
        message = f"Line {number} is longer than {config.max_event_bytes} bytes."
        return LineNotice(number, message, "event_too_large")
    if nests_deeper_than(line.text, max_depth):
        return LineNotice(number, f"Line {number} nests deeper than {max_depth}.", "invalid_event")
    try:
        value = msgspec.json.decode(line.text)
    except msgspec.DecodeError as error:
        return LineNotice(number, f"Line {number} is not JSON ({error}).", "invalid_event")
    if not isinstance(value, dict):
        message = f"Line {number} is not a JSON object (an event is one object per line)."
        return LineNotice(number, message, "invalid_event")
    named = value.get(config.id_field)
    if isinstance(named, bool) or not isinstance(named, str | int):
        named = number
    return FeedEvent(named, number, value)


class FeedResponse:
    """The commentary as server-sent events, while the upload is still being read: one task
    reads lines into the backlog, another writes what the session says; a client that hangs up
    stops both (and so the commentary being written, whose ledger row says cancelled)."""

    def __init__(
        self,
        session: FeedSession,
        backlog: Backlog,
        lines: AsyncIterator[Line],
        config: FeedConfig,
        max_depth: int,
    ) -> None:
        self.session = session
        self.backlog = backlog
        self.lines = lines
        self.config = config
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        reader = asyncio.ensure_future(self._read(receive))
        writer = asyncio.ensure_future(self._write(send))
        try:
            await asyncio.wait((reader, writer), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (writer, reader):  # the writer first: a gone client stops the work
                if not task.done():
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError, OSError, ClientDisconnect):
                    await task

    async def _read(self, receive: Receive) -> None:
        """Returns only when the client has gone."""
        try:
            async for line in self.lines:
                read = read_event(line, self.config, self.max_depth)
                if isinstance(read, LineNotice):
                    self.backlog.add_notice(read)
                else:
                    self.backlog.add_event(read)
        except ClientDisconnect:
            return
        except GatewayError as error:  # the upload stalled past `idle_timeout_s`
            self.backlog.add_notice(LineNotice(None, error.message, "feed_idle"))
        finally:
            self.backlog.end()
        await wait_for_disconnect(receive)

    async def _write(self, send: Send) -> None:
        async for message in self.session.messages(self.backlog):
            body = sse_event(_encode(message))
            await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": DONE, "more_body": False})


ROUTES = [Route("/v1/feeds/{route:path}", feed, methods=["POST"])]
