"""OpenAI-compatible routes: validate, call the pipeline, convert back. Nothing else."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchgear.api.auth import caller_secret
from switchgear.api.disconnect import unless_disconnected
from switchgear.api.doors import CLIENT_CLOSED, answer_headers, gateway_of, read_request
from switchgear.api.openai_format import (
    chat_chunks,
    chat_completion_body,
    collect,
    echo_prefixes,
    text_chunks,
    text_completion_body,
)
from switchgear.api.sse import EventStreamResponse
from switchgear.schema.errors import ClientDisconnected, GatewayError
from switchgear.schema.kinds import (
    ClassificationRequest,
    EmbeddingsRequest,
    ModelsRequest,
    ModerationRequest,
    SearchRequest,
)
from switchgear.schema.requests import ChatCompletionRequest, CompletionRequest
from switchgear.tool_loop import names_mcp_servers, run_with_mcp
from switchgear.trip import Answer

_encode = msgspec.json.encode


def _json(body: bytes, answer: Answer) -> Response:
    return Response(body, media_type="application/json", headers=answer_headers(answer))


# Embeddings for more inputs than this are encoded in a worker thread: megabytes of floats
# would otherwise hold the event loop (and every other request) for tens of milliseconds.
_ENCODE_INLINE_INPUTS = 64


async def _whole(answer: Answer) -> Response:
    body = answer.body
    heavy = answer.trip.request.kind == "embeddings" and len(body["data"]) > _ENCODE_INLINE_INPUTS
    encoded = await asyncio.to_thread(_encode_in_pieces, body) if heavy else _encode(body)
    return Response(encoded, media_type="application/json", headers=answer_headers(answer))


def _encode_in_pieces(body: dict[str, Any]) -> bytes:
    """A body with a long `data` list, one item at a time: each call holds the GIL for
    microseconds instead of one call holding it for the whole list."""
    rest = dict(body)
    items = b",".join(_encode(item) for item in rest.pop("data"))
    return b'{"data":[' + items + b"]," + _encode(rest)[1:]


async def chat_completions(request: Request) -> Response:
    gateway = gateway_of(request)
    chat = await read_request(request, gateway, ChatCompletionRequest, "chat.completions")
    if names_mcp_servers(chat):
        return await _chat_with_mcp(request, chat)
    try:
        if chat.stream:
            answer = await unless_disconnected(
                request.receive, gateway.pipeline.run(chat, caller_secret(request))
            )
            return EventStreamResponse(
                chat_chunks(answer, chat.wants_stream_usage()), answer_headers(answer)
            )  # type: ignore[return-value]

        async def complete() -> Response:
            answer = await gateway.pipeline.run(chat, caller_secret(request))
            collected = await collect(answer)
            return _json(chat_completion_body(answer, collected, int(time.time())), answer)

        return await unless_disconnected(request.receive, complete())
    except ClientDisconnected:
        return CLIENT_CLOSED


async def _chat_with_mcp(request: Request, chat: ChatCompletionRequest) -> Response:
    """A chat naming MCP servers as tools: the gateway runs the tool loop, then answers as
    any chat (a stream replays the final step: the steps before it are the gateway's)."""
    gateway = gateway_of(request)
    try:
        looped = await unless_disconnected(
            request.receive, run_with_mcp(gateway, chat, caller_secret(request))
        )
    except ClientDisconnected:
        return CLIENT_CLOSED
    except GatewayError as error:
        if error.recorded is None:  # refused before any of its trips began
            gateway.pipeline.record_rejected("chat.completions", error)
        raise
    answer = looped.answer
    headers = {**answer_headers(answer), "x-switchgear-tool-calls": str(len(looped.calls))}
    if chat.stream:
        chunks = chat_chunks(answer, chat.wants_stream_usage())
        return EventStreamResponse(chunks, headers)  # type: ignore[return-value]
    collected = await collect(answer)
    body = chat_completion_body(answer, collected, int(time.time()))
    return Response(body, media_type="application/json", headers=headers)


async def completions(request: Request) -> Response:
    gateway = gateway_of(request)
    text = await read_request(request, gateway, CompletionRequest, "completions")
    echo = echo_prefixes(text)
    try:
        if text.stream:
            answer = await unless_disconnected(
                request.receive, gateway.pipeline.run(text, caller_secret(request))
            )
            return EventStreamResponse(
                text_chunks(answer, text.wants_stream_usage(), echo), answer_headers(answer)
            )  # type: ignore[return-value]

        async def complete() -> Response:
            answer = await gateway.pipeline.run(text, caller_secret(request))
            collected = await collect(answer)
            return _json(text_completion_body(answer, collected, int(time.time()), echo), answer)

        return await unless_disconnected(request.receive, complete())
    except ClientDisconnected:
        return CLIENT_CLOSED


async def list_models(request: Request) -> Response:
    gateway = gateway_of(request)
    return await _whole(await gateway.pipeline.run(ModelsRequest(), caller_secret(request)))


async def get_model(request: Request) -> Response:
    gateway = gateway_of(request)
    one = ModelsRequest(request.path_params["model"])
    return await _whole(await gateway.pipeline.run(one, caller_secret(request)))


async def moderations(request: Request) -> Response:
    gateway = gateway_of(request)
    decoded = await read_request(request, gateway, ModerationRequest, "moderations")
    return await _whole(await gateway.pipeline.run(decoded, caller_secret(request)))


async def embeddings(request: Request) -> Response:
    gateway = gateway_of(request)
    decoded = await read_request(request, gateway, EmbeddingsRequest, "embeddings")
    return await _whole(await gateway.pipeline.run(decoded, caller_secret(request)))


async def search(request: Request) -> Response:
    gateway = gateway_of(request)
    decoded = await read_request(request, gateway, SearchRequest, "search")
    return await _whole(await gateway.pipeline.run(decoded, caller_secret(request)))


async def classifications(request: Request) -> Response:
    gateway = gateway_of(request)
    decoded = await read_request(request, gateway, ClassificationRequest, "classifications")
    return await _whole(await gateway.pipeline.run(decoded, caller_secret(request)))


ROUTES = [
    Route("/v1/embeddings", embeddings, methods=["POST"]),
    Route("/v1/classifications", classifications, methods=["POST"]),
    Route("/v1/search", search, methods=["POST"]),
    Route("/v1/moderations", moderations, methods=["POST"]),
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/completions", completions, methods=["POST"]),
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model:path}", get_model, methods=["GET"]),
]
