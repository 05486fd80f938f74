"""The MCP door: `/mcp`, streamable HTTP, served by the official SDK's low-level `Server`.
Translates `tools/list` and `tools/call` into the MCP request kinds, runs each through the
pipeline with the caller's key, and turns the answer (or the error) back. Nothing else.

Stateless: every POST is answered on its own (no `Mcp-Session-Id`), so any replica behind a
load balancer can answer any request and each one is authenticated by its own key, like every
other door. What that gives up (pushing `list_changed` or server-to-client requests to a
caller) is nothing this door offers.

A missing or unknown key is refused with HTTP 401 before MCP starts. After that, errors take
the form an MCP client expects:

- the call reached the tool but failed, or a guard withheld the call or its result, or the
  tool's server is down or slow: a result with `isError: true` whose text says why (the
  caller's model can read it and try something else);
- the request itself is refused: a JSON-RPC error, `-32602` for an unknown tool or bad
  arguments, `-32010` for a tool this key may not call (or a revoked key), `-32011` for a rate
  limit or budget, `-32012` for anything else; `data` carries the gateway's error (`status`,
  `type`, `code`, `request_id`) as the HTTP doors report it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import mcp_types as types
from mcp import MCPError
from mcp.server import Server, ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from switchgear import __version__
from switchgear.api.auth import caller_secret
from switchgear.api.errors import error_response
from switchgear.gateway import Gateway
from switchgear.governance.governor import Forbidden, Unauthorized
from switchgear.guards import GuardBlocked, GuardUnavailable
from switchgear.mcp.errors import ServerUnavailable, ToolFailed, ToolRejected, ToolTimeout
from switchgear.schema.errors import GatewayError
from switchgear.schema.kinds import McpToolCall, McpToolsList
from switchgear.trip import Answer

REFUSED, LIMITED, FAILED = -32010, -32011, -32012
ERROR_META = "switchgear/error"  # in a result's `_meta`: the gateway's error, as in `data`
REQUEST_META = "switchgear/request_id"  # in a result's `_meta`: its ledger row
# Failures the caller's model can act on: reported inside the tool's result.
_IN_RESULT = (GuardBlocked, GuardUnavailable, ServerUnavailable, ToolTimeout)
INSTRUCTIONS = (
    "Tools of the MCP servers behind this Switchgear gateway, named <server>{separator}<tool>. "
    "Only the tools this API key may call are listed."
)


class McpDoor:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        server: Server[Any] = Server(
            "switchgear",
            version=__version__,
            instructions=INSTRUCTIONS.format(separator=gateway.config.mcp.separator),
            # For the 2026-07-28 wire's header checks: a look-up, instead of a tools/list trip.
            get_tool_input_schema=gateway.mcp.input_schema,
        )
        server.add_request_handler("tools/list", types.PaginatedRequestParams, self._list_tools)
        server.add_request_handler("tools/call", types.CallToolRequestParams, self._call_tool)
        self.manager = StreamableHTTPSessionManager(
            server,
            stateless=True,
            json_response=True,  # one JSON answer per POST: no stream to hold open
            max_request_body_size=gateway.config.server.max_body_bytes,
        )
        self.routes = [Route("/mcp", endpoint=self)]

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._refusal(Request(scope))
        if refusal is not None:
            self.gateway.pipeline.record_rejected("mcp", refusal)
            if refusal.recorded is not None:
                await asyncio.wrap_future(refusal.recorded)
            await error_response(refusal)(scope, receive, send)
            return
        await self.manager.handle_request(scope, receive, send)

    def _refusal(self, request: Request) -> GatewayError | None:
        origin = request.headers.get("origin")
        host = request.headers.get("host", "").lower()
        listed = {o.rstrip("/") for o in self.gateway.config.server.cors_origins}
        if origin and urlsplit(origin).netloc.lower() != host and origin.rstrip("/") not in listed:
            # The MCP spec asks a server to check Origin: a page on another site must not drive
            # a caller's tools through its browser.
            return Forbidden("/mcp does not answer requests from other sites.", code="cross_origin")
        try:
            self.gateway.governor.identify(caller_secret(request))
        except Unauthorized as error:
            error.headers["www-authenticate"] = 'Bearer realm="switchgear"'
            return error
        return None

    async def _list_tools(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams
    ) -> types.ListToolsResult:
        answer = await self._trip(ctx, McpToolsList())
        # As models, so each protocol version gets its own fields (`ttlMs`, `resultType`).
        return types.ListToolsResult.model_validate(_tagged(answer.body, answer.trip.request_id))

    async def _call_tool(
        self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        try:
            answer = await self._trip(ctx, McpToolCall(params.name, params.arguments or {}))
        except ToolFailed as error:
            result = _tagged(error.result, error.headers.get("x-request-id"))
            return types.CallToolResult.model_validate(result)
        except _IN_RESULT as error:
            refusal = {
                "content": [{"type": "text", "text": error.message}],
                "isError": True,
                "_meta": {ERROR_META: _error_data(error)},
            }
            return types.CallToolResult.model_validate(refusal)
        return types.CallToolResult.model_validate(_tagged(answer.body, answer.trip.request_id))

    async def _trip(self, ctx: ServerRequestContext[Any], request: Any) -> Answer:
        try:
            assert isinstance(ctx.request, Request)  # the streamable HTTP transport sets it
            return await self.gateway.pipeline.run(request, caller_secret(ctx.request))
        except GatewayError as error:
            if error.recorded is not None:  # the ledger row is committed before the caller hears
                await asyncio.wrap_future(error.recorded)
            if isinstance(error, (ToolFailed, *_IN_RESULT)):
                raise
            raise MCPError(_rpc_code(error), error.message, _error_data(error)) from error


def _tagged(body: dict[str, Any], request_id: str | None) -> dict[str, Any]:
    return {**body, "_meta": {**(body.get("_meta") or {}), REQUEST_META: request_id}}


def _rpc_code(error: GatewayError) -> int:
    if isinstance(error, ToolRejected):
        return error.rpc_code
    if error.status in (400, 404, 413):
        return types.INVALID_PARAMS
    if error.status in (401, 403):
        return REFUSED
    if error.status in (402, 429):
        return LIMITED
    return FAILED


def _error_data(error: GatewayError) -> dict[str, Any]:
    return {
        "status": error.status,
        "type": error.type,
        "code": error.code,
        "request_id": error.headers.get("x-request-id"),
    }
