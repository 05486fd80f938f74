"""What every door's routes share: the gateway, reading a typed body (a refusal still gets a
ledger row), the headers that say who answered, and the status for a caller that left."""

from __future__ import annotations

from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from switchgear.api.body import check_input_size, decode_body, read_body
from switchgear.gateway import Gateway
from switchgear.schema.errors import GatewayError, InvalidRequest
from switchgear.trip import Answer

T = TypeVar("T")
# A status no client will see: the client is gone. Nginx logs the same case as 499.
CLIENT_CLOSED = Response(status_code=499)


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def answer_headers(answer: Answer) -> dict[str, str]:
    trip = answer.trip
    headers = {**(trip.admission.headers if trip.admission else {})}
    headers["x-request-id"] = trip.request_id
    if trip.target is not None:
        headers["x-switchgear-model"] = trip.target.model_id
        headers["x-switchgear-target"] = trip.target.label
    if trip.cache_status is not None:
        headers["x-switchgear-cache"] = trip.cache_status
    if trip.needs is not None and trip.needs.language is not None:
        headers["x-switchgear-language"] = trip.needs.language  # routed by it (require.language)
    return headers


async def read_request(request: Request, gateway: Gateway, into: type[T], endpoint: str) -> T:
    """The body decoded into `into` and within the size caps; a refusal is ledgered under
    `endpoint` before it is raised."""
    server = gateway.config.server
    try:
        body = await read_body(request, server.max_body_bytes, server.body_timeout_s)
        decoded = decode_body(body, into, server.max_json_depth)
        check_input_size(decoded, server.max_text_chars, server.max_items)
        stream_options = getattr(decoded, "stream_options", None)
        if stream_options is not None and not getattr(decoded, "stream", False):
            raise InvalidRequest(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                param="stream_options",
            )
        return decoded
    except GatewayError as error:
        gateway.pipeline.record_rejected(endpoint, error)
        raise
