"""Reads and validates a JSON request body in one pass, with errors a client can act on."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import TypeVar

import msgspec
from starlette.requests import Request

from switchgear.schema.errors import InvalidRequest, PayloadTooLarge

T = TypeVar("T")

_AT_PATH = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")
_MISSING = re.compile(r"Object missing required field `(?P<name>[^`]+)`")
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<name>[^`]+)`")

_decoders: dict[type, msgspec.json.Decoder[object]] = {}


BODY_TIMEOUT_S = 15.0
MAX_JSON_DEPTH = 64


async def read_body(request: Request, limit: int, timeout_s: float = BODY_TIMEOUT_S) -> bytes:
    """The whole body, refused past `limit` bytes (413) or when the client leaves more than
    `timeout_s` between two pieces of it (408): a slow body cannot hold a worker forever."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in paced(request.stream(), timeout_s):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def paced(stream: AsyncIterator[bytes], timeout_s: float) -> AsyncIterator[bytes]:
    """`stream`, failing with 408 when a piece takes longer than `timeout_s` to arrive."""
    while True:
        try:
            chunk = await asyncio.wait_for(anext(stream), timeout_s)
        except StopAsyncIteration:
            return
        except TimeoutError:
            # The rest of the body may still arrive: this connection cannot carry another request.
            raise InvalidRequest(
                f"The request body stalled for more than {timeout_s:g} s.",
                status=408,
                code="request_timeout",
                headers={"connection": "close"},
            ) from None
        yield chunk


def nests_deeper_than(body: bytes, max_depth: int) -> bool:
    """Whether arrays and objects nest deeper than `max_depth` in a JSON text, at C speed:
    strings are cut out, then the running sum of opening and closing brackets is taken with
    numpy. A body with fewer opening brackets than the limit is not even scanned."""
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False
    import numpy as np

    structure = _STRINGS.sub(b"", body) if b'"' in body else body
    codes = np.frombuffer(structure, dtype=np.uint8)
    steps = np.zeros(len(codes), dtype=np.int32)
    steps[(codes == 0x5B) | (codes == 0x7B)] = 1
    steps[(codes == 0x5D) | (codes == 0x7D)] = -1
    return int(np.cumsum(steps).max(initial=0)) > max_depth


_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def decode_body(body: bytes, into: type[T], max_depth: int = MAX_JSON_DEPTH) -> T:
    """Decodes and validates in one pass; nesting deeper than `max_depth` is refused first
    (a deep value would otherwise exhaust the stack of whatever walks it later)."""
    if nests_deeper_than(body, max_depth):
        raise InvalidRequest(
            f"The JSON body nests deeper than {max_depth} levels.", code="json_too_deep"
        )
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


def check_input_size(request: object, max_chars: int, max_items: int) -> None:
    """The per-request caps (`server.max_text_chars`, `server.max_items`), before any model
    or guard sees the request."""
    size = getattr(request, "input_size", None)
    if size is None:
        return
    chars, items = size()
    if chars > max_chars:
        raise PayloadTooLarge(
            f"The request holds {chars} characters of text; this gateway accepts at most "
            f"{max_chars} per request (server.max_text_chars).",
            code="input_too_large",
        )
    if items > max_items:
        raise InvalidRequest(
            f"The request holds {items} items (messages, prompts or inputs); this gateway "
            f"accepts at most {max_items} (server.max_items).",
            code="too_many_items",
        )
