"""Reads and validates a JSON request body in one pass, with errors a client can act on."""

from __future__ import annotations

import re
from typing import TypeVar

import msgspec
from starlette.requests import Request

from switchgear.schema.errors import InvalidRequest, PayloadTooLarge

T = TypeVar("T")

_AT_PATH = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")
_MISSING = re.compile(r"Object missing required field `(?P<name>[^`]+)`")
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<name>[^`]+)`")

_decoders: dict[type, msgspec.json.Decoder[object]] = {}


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def decode_body(body: bytes, into: type[T]) -> T:
    decoder = _decoders.get(into)
    if decoder is None:
        decoder = _decoders[into] = msgspec.json.Decoder(into)
    try:
        return decoder.decode(body)  # type: ignore[return-value]
    except msgspec.ValidationError as error:
        raise _validation_error(str(error)) from error
    except UnicodeDecodeError as error:
        raise InvalidRequest(
            f"The request body is not valid UTF-8 (byte {error.start}).", code="invalid_encoding"
        ) from error
    except msgspec.DecodeError as error:
        if not body.strip():
            message = "The request body is empty; send a JSON object."
        else:
            message = (
                "We could not parse the JSON body of your request. (HINT: This likely means "
                "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
                f"payload.) Parser said: {error}"
            )
        raise InvalidRequest(message, code="invalid_json") from error


def _validation_error(message: str) -> InvalidRequest:
    path = ""
    at = _AT_PATH.search(message)
    if at:
        path = at.group("path")
        message = message[: at.start()]
    prefix = f"{path}." if path else ""
    if missing := _MISSING.match(message):
        name = prefix + missing.group("name")
        return InvalidRequest(
            f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
        )
    if unknown := _UNKNOWN.match(message):
        name = prefix + unknown.group("name")
        return InvalidRequest(
            f"Unrecognized request argument supplied: {name}", param=name, code="unknown_parameter"
        )
    if not path:
        return InvalidRequest(f"Invalid request body: {message}", code="invalid_type")
    return InvalidRequest(
        f"Invalid value for '{path}': {message}.", param=path, code="invalid_value"
    )


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is larger than this gateway accepts ({limit} bytes).",
        code="request_too_large",
    )
