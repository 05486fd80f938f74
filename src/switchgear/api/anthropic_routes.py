"""Anthropic Messages API routes: decode, translate into a chat request, run the one trip,
translate the answer back. Errors take Anthropic's shape (see `errors.py`).

The key comes in `x-api-key` (Anthropic's header) or `Authorization: Bearer` (what Claude Code
sends with `ANTHROPIC_AUTH_TOKEN`); `anthropic-version` is read for its form only, since
every version since 2023-06-01 has the same wire shape for what this door serves.
"""

from __future__ import annotations

import re

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchgear.api.anthropic_format import message_body, message_events
from switchgear.api.auth import caller_secret
from switchgear.api.body import check_input_size
from switchgear.api.disconnect import unless_disconnected
from switchgear.api.doors import CLIENT_CLOSED, answer_headers, gateway_of, read_request
from switchgear.api.sse import EventStreamResponse
from switchgear.schema.anthropic import CountTokensRequest, MessagesRequest
from switchgear.schema.errors import ClientDisconnected, GatewayError, InvalidRequest
from switchgear.schema.requests import ChatCompletionRequest

DOOR = "anthropic.messages"
_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_encode = msgspec.json.encode


def _check_version(request: Request) -> None:
    version = request.headers.get("anthropic-version")
    if version is not None and not _VERSION.match(version.strip()):
        raise InvalidRequest(
            f"anthropic-version: {version!r} is not a valid version (use e.g. 2023-06-01).",
            param="anthropic-version",
        )


async def _read_chat(request: Request) -> tuple[MessagesRequest, ChatCompletionRequest]:
    gateway = gateway_of(request)
    try:
        _check_version(request)
    except GatewayError as error:
        gateway.pipeline.record_rejected(DOOR, error)
        raise
    decoded = await read_request(request, gateway, MessagesRequest, DOOR)
    try:
        chat = decoded.to_chat()
        server = gateway.config.server
        check_input_size(chat, server.max_text_chars, server.max_items)
        return decoded, chat
    except GatewayError as error:
        gateway.pipeline.record_rejected(DOOR, error)
        raise


async def messages(request: Request) -> Response:
    gateway = gateway_of(request)
    decoded, chat = await _read_chat(request)
    secret = caller_secret(request)
    try:
        if decoded.stream:
            answer = await unless_disconnected(
                request.receive, gateway.pipeline.run(chat, secret, door=DOOR)
            )
            return EventStreamResponse(message_events(answer), answer_headers(answer))  # type: ignore[return-value]

        async def complete() -> Response:
            answer = await gateway.pipeline.run(chat, secret, door=DOOR)
            body = await message_body(answer)
            headers = answer_headers(answer)
            return Response(_encode(body), media_type="application/json", headers=headers)

        return await unless_disconnected(request.receive, complete())
    except ClientDisconnected:
        return CLIENT_CLOSED


async def count_tokens(request: Request) -> Response:
    gateway = gateway_of(request)
    _check_version(request)
    decoded = await read_request(request, gateway, CountTokensRequest, CountTokensRequest.kind)
    answer = await gateway.pipeline.run(decoded, caller_secret(request))
    return Response(
        _encode(answer.body), media_type="application/json", headers=answer_headers(answer)
    )


ROUTES = [
    Route("/v1/messages", messages, methods=["POST"]),
    Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
]
