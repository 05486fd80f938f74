"""Upstream failures as `UpstreamError`s: what went wrong, whether another try may help.

Transport failures, timeouts, 429 and 5xx are retryable; a 4xx caused by the request is not and
keeps the upstream's status and error fields, so a client sees the upstream's own explanation.
Messages name the provider (from the config), never its URL or credentials.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import msgspec

from switchgear.schema.errors import UpstreamError

# An error body is a few hundred bytes; reading more only costs memory and time.
MAX_ERROR_BODY = 64 * 1024
_MAX_QUOTED = 300
_MAX_MESSAGE = 2000
_SECRET_HEADER_WORDS = ("auth", "key", "token", "secret")

CODE_UNREACHABLE = "upstream_unreachable"
CODE_TIMEOUT = "upstream_timeout"
CODE_STREAM_BROKEN = "upstream_stream_broken"
CODE_CONNECTION = "upstream_connection_error"
CODE_SERVER = "upstream_server_error"
CODE_AUTH = "upstream_auth_failed"
CODE_MISCONFIGURED = "upstream_misconfigured"
CODE_RATE_LIMITED = "rate_limit_exceeded"

# Anthropic names errors by type only; these say a later attempt may succeed.
_RETRYABLE_TYPES = frozenset({"api_error", "overloaded_error", "rate_limit_error", "timeout_error"})
_STATUS_OF_TYPE = {
    "invalid_request_error": 400,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
}


def secrets_of(key: str | None, headers: dict[str, str]) -> tuple[str, ...]:
    """What must never appear in an error message: the key and credential-like headers."""
    found = [key] if key else []
    for name, value in headers.items():
        if any(word in name.lower() for word in _SECRET_HEADER_WORDS):
            found.append(value)
            found.append(value.partition(" ")[2])  # the token of "Bearer <token>"
    return tuple(s for s in found if len(s) >= 8)


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def stream_broken(provider: str, detail: str) -> UpstreamError:
    return UpstreamError(
        f"The upstream `{provider}` broke off its answer: {detail}.",
        retryable=True,
        code=CODE_STREAM_BROKEN,
    )


def error_from_exception(
    error: aiohttp.ClientError | asyncio.TimeoutError, provider: str, *, streaming: bool
) -> UpstreamError:
    """`streaming` is True once response headers arrived: a lost connection then cut an answer."""
    name = f"The upstream `{provider}`"
    if isinstance(error, aiohttp.ConnectionTimeoutError):  # no pooled connection, or no accept
        return UpstreamError(
            f"{name} did not accept a connection in time.",
            retryable=True,
            status=504,
            code=CODE_TIMEOUT,
        )
    if isinstance(error, asyncio.TimeoutError):  # sock_read: no byte within timeout_s
        what = "stopped sending its answer" if streaming else "did not answer in time"
        return UpstreamError(f"{name} {what}.", retryable=True, status=504, code=CODE_TIMEOUT)
    if isinstance(error, aiohttp.ClientConnectorError):
        return UpstreamError(
            f"{name} could not be reached (connection failed).",
            retryable=True,
            code=CODE_UNREACHABLE,
        )
    if isinstance(error, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        # The configuration is wrong; trying again cannot help.
        return UpstreamError(
            f"{name} is misconfigured: {type(error).__name__}.",
            retryable=False,
            code=CODE_MISCONFIGURED,
        )
    if streaming:
        return stream_broken(provider, "the connection was lost")
    return UpstreamError(
        f"{name} closed the connection before answering.", retryable=True, code=CODE_CONNECTION
    )


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait: OpenAI's `retry-after-ms`, else `Retry-After` (seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        seconds = _seconds(millis)
        if seconds is not None:
            return seconds / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _seconds(value: str) -> float | None:
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


async def read_capped(response: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.content.iter_any():
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_ERROR_BODY:
                break
    except (TimeoutError, aiohttp.ClientError):
        pass  # the status says enough; a body cut short is still worth quoting
    return b"".join(chunks)[:MAX_ERROR_BODY]


def _error_fields(body: bytes) -> dict[str, Any] | None:
    """The `error` object of an OpenAI, Azure or Anthropic error body."""
    try:
        parsed = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    if not isinstance(parsed, dict):
        return None
    inner = parsed.get("error")
    if isinstance(inner, dict):
        return inner
    if isinstance(inner, str):  # some self-hosted servers answer {"error": "message"}
        return {"message": inner}
    if isinstance(parsed.get("message"), str):
        return parsed
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


async def error_from_response(
    response: aiohttp.ClientResponse, provider: str, secrets: tuple[str, ...]
) -> UpstreamError:
    """An upstream HTTP error answer (not 2xx) as an `UpstreamError`; reads a capped body."""
    return error_from_status(
        response.status, response.headers, await read_capped(response), provider, secrets
    )


def error_from_status(
    status: int, headers: Mapping[str, str], body: bytes, provider: str, secrets: tuple[str, ...]
) -> UpstreamError:
    fields = _error_fields(body) or {}
    upstream_message = _text(fields.get("message"))
    limit = _MAX_MESSAGE
    if upstream_message is None:  # not an error object: quote the start of whatever came
        upstream_message = body.decode("utf-8", errors="replace").strip() or "(no message)"
        limit = _MAX_QUOTED
    # Redact before cutting, so no part of a secret survives the cut.
    upstream_message = redact(upstream_message, secrets)[:limit]
    error_type = _text(fields.get("type"))
    code = _text(fields.get("code"))
    param = _text(fields.get("param"))
    retry_after = parse_retry_after(headers)
    name = f"The upstream `{provider}`"
    if status == 429:
        return UpstreamError(
            upstream_message,
            retryable=True,
            retry_after=retry_after,
            status=429,
            code=code or CODE_RATE_LIMITED,
            error_type=error_type,
        )
    if status in (401, 403, 407):
        # The gateway's own credentials were refused. Passing 401 on would tell the client that
        # *its* key is wrong; another target, with other credentials, may well succeed.
        return UpstreamError(
            f"{name} refused the gateway's credentials (HTTP {status}): {upstream_message}",
            retryable=True,
            code=CODE_AUTH,
        )
    if status == 408:
        return UpstreamError(
            f"{name} timed out reading the request (HTTP 408).",
            retryable=True,
            status=504,
            code=CODE_TIMEOUT,
        )
    if 400 <= status < 500:
        return UpstreamError(
            upstream_message,
            retryable=False,
            status=status,
            param=param,
            code=code,
            error_type=error_type or "invalid_request_error",
        )
    if status >= 500:
        return UpstreamError(
            f"{name} failed with HTTP {status}: {upstream_message}",
            retryable=True,
            retry_after=retry_after,
            code=CODE_SERVER,
        )
    # 1xx/3xx: redirects are not followed, because a moved endpoint is a configuration matter.
    return UpstreamError(
        f"{name} answered HTTP {status}; check its base_url.",
        retryable=False,
        code=CODE_MISCONFIGURED,
    )


def error_from_event(payload: Any, provider: str, secrets: tuple[str, ...]) -> UpstreamError:
    """An error reported inside a stream (Anthropic's `error` event, OpenAI-style `error`)."""
    inner = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(inner, str):
        inner = {"message": inner}
    fields: dict[str, Any] = inner if isinstance(inner, dict) else {}
    message = redact(_text(fields.get("message")) or "unknown error", secrets)
    error_type = _text(fields.get("type"))
    status = _STATUS_OF_TYPE.get(error_type or "")
    if error_type in _RETRYABLE_TYPES or status is None or status == 429:
        return UpstreamError(
            f"The upstream `{provider}` reported an error mid-stream: {message}",
            retryable=True,
            code=_text(fields.get("code")) or error_type or CODE_SERVER,
        )
    return UpstreamError(
        message,
        retryable=False,
        status=status,
        param=_text(fields.get("param")),
        code=_text(fields.get("code")),
        error_type=error_type,
    )
