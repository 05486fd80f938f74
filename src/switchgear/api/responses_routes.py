"""OpenAI Responses API routes: a response is a chat trip over the conversation so far (the
stored responses `previous_response_id` names, then this input), translated back into output
items; with `store` it is kept for the key that made it.

Errors keep OpenAI's shape, like the other OpenAI routes. Hosted tools that were not
forwarded (see `schema/responses_tools.py`) are named in `x-switchgear-dropped-tools`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchgear.api.auth import caller_secret
from switchgear.api.body import check_input_size
from switchgear.api.disconnect import unless_disconnected
from switchgear.api.doors import CLIENT_CLOSED, answer_headers, gateway_of, read_request
from switchgear.api.responses_format import (
    Event,
    OutputItems,
    item_id,
    response_object,
    usage_body,
)
from switchgear.api.sse import EventStreamResponse
from switchgear.gateway import Gateway
from switchgear.responses_service import not_found, owner_of
from switchgear.schema.errors import ClientDisconnected, GatewayError, InvalidRequest
from switchgear.schema.requests import ChatCompletionRequest
from switchgear.schema.responses import ResponsesRequest, StoredResponseRequest
from switchgear.schema.responses_tools import ToolTable
from switchgear.store.responses import StoredResponse
from switchgear.tool_loop import LoopResult, names_mcp_servers, run_with_mcp
from switchgear.trip import Answer

DOOR = "responses"
_encode = msgspec.json.encode
_ITEM_PREFIX = {
    "message": "msg",
    "function_call": "fc",
    "function_call_output": "fco",
    "custom_tool_call": "ctc",
    "custom_tool_call_output": "ctco",
}


async def _conversation(
    gateway: Gateway, decoded: ResponsesRequest, owner: str, tools: ToolTable
) -> ChatCompletionRequest:
    history: list[dict[str, Any]] = []
    previous = decoded.previous_response_id
    if previous is not None:
        chain = await asyncio.to_thread(gateway.responses.chain, previous, owner)
        if chain is None:
            raise not_found(previous, "previous_response_id")
        for stored in chain:
            history += stored.input_items
            history += stored.body.get("output", [])
    chat = decoded.to_chat(history, tools)
    server = gateway.config.server
    check_input_size(chat, server.max_text_chars, server.max_items)
    return chat


def mcp_items(looped: LoopResult) -> list[dict[str, Any]]:
    """What the gateway's tool loop did, as the Responses API reports MCP work: the tools it
    listed for each server, then each call with its output or error."""
    items: list[dict[str, Any]] = []
    for server, tools in looped.listed.items():
        listed = [
            {
                "name": tool["name"],
                "description": tool.get("description"),
                "input_schema": tool.get("inputSchema") or {},
                "annotations": tool.get("annotations"),
            }
            for tool in tools
        ]
        items.append(
            {"type": "mcp_list_tools", "id": item_id("mcpl"), "server_label": server,
             "tools": listed, "error": None}
        )  # fmt: skip
    for call in looped.calls:
        items.append(
            {
                "type": "mcp_call",
                "id": item_id("mcp"),
                "server_label": call.server,
                "name": call.tool,
                "arguments": call.arguments,
                "output": call.output,
                "error": call.error,
                "status": "failed" if call.error else "completed",
            }
        )
    return items


def _with_ids(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Input items as `input_items` lists them: each with an id of its own, a message's text
    as an `input_text` part."""
    listed = []
    for item in items:
        kind = item.get("type", "message")
        shown = {"id": item_id(_ITEM_PREFIX.get(kind, "itm")), "type": kind, **item}
        if kind == "message" and isinstance(item.get("content"), str):
            shown["content"] = [{"type": "input_text", "text": item["content"]}]
        listed.append(shown)
    return listed


class _Responder:
    """One response being made: builds the object, stores it when asked to."""

    def __init__(
        self, gateway: Gateway, decoded: ResponsesRequest, owner: str, tools: ToolTable
    ) -> None:
        self.gateway = gateway
        self.decoded = decoded
        self.owner = owner
        self.created_at = time.time()
        self.tools = tools
        self.items = OutputItems(self.tools)

    def headers(self, answer: Answer) -> dict[str, str]:
        headers = answer_headers(answer)
        if self.tools.dropped:
            headers["x-switchgear-dropped-tools"] = ", ".join(self.tools.dropped)
        return headers

    def body(self, answer: Answer, status: str | None = None, **extra: Any) -> dict[str, Any]:
        return response_object(
            f"resp_{answer.trip.request_id}",
            self.decoded,
            answer.target.model_id,
            status or self.items.status(),
            self.items.output,
            created_at=self.created_at,
            **extra,
        )

    async def finished(self, answer: Answer) -> dict[str, Any]:
        await answer.recorded()
        body = self.body(
            answer,
            usage=usage_body(answer),
            incomplete=self.items.incomplete_details(),
        )
        if self.decoded.store is not False and self.gateway.config.responses.store:
            stored = StoredResponse(
                body["id"],
                self.owner,
                self.created_at,
                self.decoded.previous_response_id,
                _with_ids(self.decoded.input_items()),
                body,
            )
            await asyncio.to_thread(self.gateway.responses.save, stored)
        return body

    async def whole(self, answer: Answer) -> dict[str, Any]:
        async for delta in answer.deltas():
            self.items.feed(delta)
        self.items.close()
        return await self.finished(answer)

    async def events(self, answer: Answer) -> AsyncIterator[bytes]:
        sequence = 0

        def sse(payload: Event) -> bytes:
            nonlocal sequence
            payload["sequence_number"] = sequence
            sequence += 1
            name = str(payload["type"]).encode()
            return b"event: " + name + b"\ndata: " + _encode(payload) + b"\n\n"

        started = self.body(answer, "in_progress")
        yield sse({"type": "response.created", "response": started})
        yield sse({"type": "response.in_progress", "response": started})
        for index, item in enumerate(self.items.output):  # the gateway's MCP calls, all done
            yield sse({"type": "response.output_item.added", "output_index": index, "item": item})
            yield sse({"type": "response.output_item.done", "output_index": index, "item": item})
        try:
            async for delta in answer.deltas():
                for event in self.items.feed(delta):
                    yield sse(event)
        except GatewayError as error:
            failure = {"code": error.code or error.type, "message": error.message}
            failed = self.body(answer, "failed", error=failure)
            yield sse({"type": "response.failed", "response": failed})
            return
        for event in self.items.close():
            yield sse(event)
        body = await self.finished(answer)
        ended = "response.incomplete" if body["status"] == "incomplete" else "response.completed"
        yield sse({"type": ended, "response": body})


async def create(request: Request) -> Response:
    gateway = gateway_of(request)
    decoded = await read_request(request, gateway, ResponsesRequest, DOOR)
    secret = caller_secret(request)
    try:
        owner = owner_of(gateway.governor.identify(secret))
        tools = decoded.tool_table()
        chat = await _conversation(gateway, decoded, owner, tools)
    except GatewayError as error:
        gateway.pipeline.record_rejected(DOOR, error)
        raise
    responder = _Responder(gateway, decoded, owner, tools)

    async def generate() -> Answer:
        if not names_mcp_servers(chat):
            return await gateway.pipeline.run(chat, secret, door=DOOR)
        try:
            looped = await run_with_mcp(gateway, chat, secret, door=DOOR)
        except GatewayError as error:
            if error.recorded is None:  # refused before any of its trips began
                gateway.pipeline.record_rejected(DOOR, error)
            raise
        responder.items.output.extend(mcp_items(looped))
        return looped.answer

    try:
        if decoded.stream:
            answer = await unless_disconnected(request.receive, generate())
            events = responder.events(answer)
            return EventStreamResponse(events, responder.headers(answer))  # type: ignore[return-value]

        async def complete() -> Response:
            answer = await generate()
            body = await responder.whole(answer)
            return Response(
                _encode(body), media_type="application/json", headers=responder.headers(answer)
            )

        return await unless_disconnected(request.receive, complete())
    except ClientDisconnected:
        return CLIENT_CLOSED


async def _stored(request: Request, action: str, **options: Any) -> Response:
    gateway = gateway_of(request)
    asked = StoredResponseRequest(request.path_params["response_id"], action, **options)  # type: ignore[arg-type]
    answer = await gateway.pipeline.run(asked, caller_secret(request))
    return Response(
        _encode(answer.body), media_type="application/json", headers=answer_headers(answer)
    )


async def get_response(request: Request) -> Response:
    return await _stored(request, "get")


async def delete_response(request: Request) -> Response:
    return await _stored(request, "delete")


async def input_items(request: Request) -> Response:
    query = request.query_params
    limit = query.get("limit", "20")
    order = query.get("order", "desc")
    if not limit.isdigit() or not 1 <= int(limit) <= 100:
        raise InvalidRequest("'limit' must be an integer from 1 to 100.", param="limit")
    if order not in ("asc", "desc"):
        raise InvalidRequest("'order' must be 'asc' or 'desc'.", param="order")
    return await _stored(
        request, "input_items", limit=int(limit), order=order, after=query.get("after")
    )


ROUTES = [
    Route("/v1/responses", create, methods=["POST"]),
    Route("/v1/responses/{response_id}", get_response, methods=["GET"]),
    Route("/v1/responses/{response_id}", delete_response, methods=["DELETE"]),
    Route("/v1/responses/{response_id}/input_items", input_items, methods=["GET"]),
]
