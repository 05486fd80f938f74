"""Errors as values: each carries the HTTP status and the OpenAI error fields.

They are raised at the edge of a concern and turned into HTTP responses only in `api/`.
"""

from __future__ import annotations

from concurrent.futures import Future


class GatewayError(Exception):
    """An error a client can act on, shaped like OpenAI's `{"error": {...}}` object."""

    status: int = 500
    type: str = "server_error"

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers or {}
        # Set by the ledger: completes when this failure's row is committed.
        self.recorded: Future[None] | None = None
        if status is not None:
            self.status = status

    def to_body(self) -> dict[str, dict[str, str | None]]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


class InvalidRequest(GatewayError):
    status = 400
    type = "invalid_request_error"


class NotFound(GatewayError):
    status = 404
    type = "invalid_request_error"


class PayloadTooLarge(GatewayError):
    status = 413
    type = "invalid_request_error"


class Overloaded(GatewayError):
    """The local engine's queue is full; the client should retry later."""

    status = 503
    type = "server_error"


class UpstreamError(GatewayError):
    """A provider failed. `retryable` says whether another attempt (or target) may succeed:
    connection errors, timeouts, 429 and 5xx are; a 4xx caused by the request is not.
    """

    status = 502
    type = "server_error"

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        param: str | None = None,
        code: str | None = None,
        status: int | None = None,
        error_type: str | None = None,
    ) -> None:
        super().__init__(message, param=param, code=code, status=status)
        self.retryable = retryable
        self.retry_after = retry_after
        if error_type is not None:
            self.type = error_type


class ClientDisconnected(Exception):
    """The caller went away; generation stops and the ledger records a cancelled request."""
