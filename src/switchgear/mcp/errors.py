"""How a tool call fails, as gateway errors (ledgered like any other): the door at `/mcp`
turns each into what an MCP client expects (see `api/mcp_routes.py`)."""

from __future__ import annotations

from typing import Any

from switchgear.schema.errors import GatewayError, NotFound


class UnknownTool(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"Unknown tool `{name}`.", code="unknown_tool", param="name")


class ServerUnavailable(GatewayError):
    """The tool's server is down or its connection broke; the gateway keeps reconnecting."""

    status = 503
    type = "server_error"

    def __init__(self, server: str, reason: str) -> None:
        super().__init__(
            f"The MCP server `{server}` is unavailable ({reason}).", code="mcp_server_unavailable"
        )


class ToolTimeout(GatewayError):
    status = 504
    type = "server_error"

    def __init__(self, name: str, seconds: float) -> None:
        super().__init__(
            f"The tool `{name}` did not answer within {seconds:g} s.", code="tool_timeout"
        )


class ToolRejected(GatewayError):
    """The tool's server answered the call with a JSON-RPC error (bad arguments, say);
    `rpc_code` is its code, passed on to the caller."""

    status = 400
    type = "invalid_request_error"

    def __init__(self, name: str, rpc_code: int, message: str) -> None:
        super().__init__(f"The tool `{name}` refused the call: {message}", code="tool_rejected")
        self.rpc_code = rpc_code


class ToolFailed(GatewayError):
    """The tool ran and reported a failure (`isError: true`): a failed call in the ledger, and
    the tool's own result for the caller, who may act on it."""

    status = 502
    type = "server_error"

    def __init__(self, name: str, result: dict[str, Any]) -> None:
        super().__init__(f"The tool `{name}` reported an error.", code="tool_error")
        self.result = result
