"""Turns errors into HTTP responses in the shape of the door they came in by: Anthropic's
`{"type": "error", ...}` under `/v1/messages`, OpenAI's `{"error": {...}}` everywhere else.
The only place that knows about status codes."""

from __future__ import annotations

import asyncio
import logging

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from switchgear.api.anthropic_format import error_body
from switchgear.schema.errors import GatewayError, InvalidRequest

log = logging.getLogger("switchgear.api")

_encode = msgspec.json.encode


ANTHROPIC_PREFIX = "/v1/messages"


def error_response(error: GatewayError, request_id: str | None = None, path: str = "") -> Response:
    headers = dict(error.headers)
    if request_id:
        headers["x-request-id"] = request_id
    if error.status in (429, 503) and "retry-after" not in headers:
        # Every "try again later" says when; the specific ones (limits, breakers) set it.
        headers["retry-after"] = "1"
    if path.startswith(ANTHROPIC_PREFIX):
        body = error_body(error, headers.get("x-request-id"))
        headers["request-id"] = body["request_id"]
    else:
        body = error.to_body()
    return Response(
        _encode(body),
        status_code=error.status,
        media_type="application/json",
        headers=headers,
    )


async def on_gateway_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GatewayError)
    if exc.recorded is not None:
        # Failures are part of the ledger too: commit before the client hears about it.
        await asyncio.wrap_future(exc.recorded)
    return error_response(exc, path=request.url.path)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    """Unknown routes and wrong methods, in OpenAI's words rather than the framework's."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status in (404, 405):
        message = f"Invalid URL ({request.method} {request.url.path})"
        if status == 405:
            message = f"Method {request.method} is not allowed for {request.url.path}"
        error: GatewayError = InvalidRequest(message, status=status)
    else:
        error = GatewayError(str(exc.detail), status=status)
    response = error_response(error, path=request.url.path)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(
        GatewayError("The server had an error while processing your request.", code="internal"),
        path=request.url.path,
    )
