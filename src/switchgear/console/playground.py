"""The playground and the compare page: a chat request sent streamed through the gateway's own
OpenAI door (the same edge, routes, pipeline, guards, limits and ledger as any client), with
the key the operator pastes. The console relays the door's tokens to the page as they come,
then what the ledger recorded for the request: target, cost, guard decisions, stand-ins."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchgear.api.sse import EventStreamResponse
from switchgear.console.asgi_stream import StreamedReply, post_json
from switchgear.console.playground_facts import facts
from switchgear.console.web import (
    PAGE_HEADERS,
    TEMPLATES,
    changing_session,
    gateway_of,
    page_session,
    render,
    text_field,
)
from switchgear.embeddings.local import LOCAL_KIND as EMBEDDER_KIND
from switchgear.providers.sse_client import iter_events

MAX_TOKENS = 64


def _served_names(request: Request) -> list[str]:
    """Every route and chat model name (embedding models answer another door)."""
    gateway = gateway_of(request)
    embedding = {m.id for m in gateway.config.models if m.kind == "embedding"}
    names = []
    for name in gateway.router.names():
        if name in gateway.router.routes:
            names.append(name)
            continue
        target = gateway.router.find_model(name)
        if target.provider_kind != EMBEDDER_KIND and target.model_id not in embedding:
            names.append(name)
    return names


async def playground_page(request: Request) -> Response:
    session = page_session(request)
    if isinstance(session, Response):
        return session
    return render(request, "playground.html", session, models=_served_names(request))


async def compare_page(request: Request) -> Response:
    session = page_session(request)
    if isinstance(session, Response):
        return session
    models = _served_names(request)
    return render(request, "compare.html", session, models=models)


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


async def _door_events(reply: StreamedReply) -> AsyncIterator[dict[str, Any]]:
    """The door's server-sent events as JSON objects, up to `[DONE]`."""
    async for _, data in iter_events(reply.pieces):
        if data == "[DONE]":
            return
        yield json.loads(data)


async def _relay(reply: StreamedReply, outcome: dict[str, Any]) -> AsyncIterator[bytes]:
    """Each token as a `token` event; the error or the citations kept in `outcome`."""
    if reply.status != 200:
        body = b"".join([piece async for piece in reply.pieces])
        try:
            outcome["error"] = json.loads(body).get("error") or {}
        except ValueError:
            outcome["error"] = {"message": f"The gateway answered {reply.status}."}
        return
    async for chunk in _door_events(reply):
        if "error" in chunk:  # the door's error event, mid-stream (a guard cut the answer)
            outcome["error"] = chunk["error"]
            return
        if chunk.get("citations"):
            outcome["citations"] = chunk["citations"]
        for choice in chunk.get("choices") or []:
            text = (choice.get("delta") or {}).get("content")
            if text:
                yield _event("token", {"text": text})


async def playground_stream(request: Request) -> EventStreamResponse:
    # Any signed-in user may try a model with a key they hold: it changes nothing in the
    # gateway, and the key's own limits and budgets apply.
    _, form = await changing_session(request, admin=False)
    model = text_field(form, "model", 200)
    prompt = text_field(form, "prompt", 20_000)
    key = text_field(form, "key", 200)
    headers = {"authorization": f"Bearer {key}"} if key else {}
    if host := request.headers.get("host"):
        headers["host"] = host
    body = {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": MAX_TOKENS,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    gateway = gateway_of(request)

    async def events() -> AsyncIterator[bytes]:
        outcome: dict[str, Any] = {}
        async with post_json(request.app, "/v1/chat/completions", body, headers) as reply:
            request_id = reply.headers.get("x-request-id")
            yield _event("started", {"request_id": request_id, "model": model})
            async for event in _relay(reply, outcome):
                yield event
        await asyncio.to_thread(gateway.ledger.flush)
        found = await asyncio.to_thread(facts, gateway.store, request_id)
        html = TEMPLATES.get_template("playground_facts.html").render(
            request_id=request_id,
            status=reply.status,
            error=outcome.get("error"),
            citations=outcome.get("citations") or [],
            **found,
        )
        yield _event("facts", {"html": html, "refused": "error" in outcome})

    # The page's own headers, but for the cache header the stream sets itself.
    page_headers = {k: v for k, v in PAGE_HEADERS.items() if k != "cache-control"}
    return EventStreamResponse(events(), page_headers)


ROUTES = [
    Route("/console/playground", playground_page, methods=["GET"]),
    Route("/console/playground/stream", playground_stream, methods=["POST"]),
    Route("/console/compare", compare_page, methods=["GET"]),
]
