"""The gateway's MCP side: the backing servers, the tools they serve under namespaced names,
and the provider step of the two MCP request kinds (`mcp.tools.list`, `mcp.tools.call`),
which the pipeline calls once auth (and, for a call, guards.in) has passed.

For the gateway's own use (a tool loop inside a chat request), `list_tools` and `call` run
the same trip as a call through `/mcp`: admitted, guarded and ledgered for the caller.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from switchgear.governance.governor import Forbidden
from switchgear.governance.keys import Identity
from switchgear.guards import Guards
from switchgear.mcp.access import ToolAccess, served_name, split_name
from switchgear.mcp.config import McpConfig, problems
from switchgear.mcp.errors import ServerUnavailable, ToolFailed, UnknownTool
from switchgear.mcp.screening import screen_result, screen_tools, tool_text_check
from switchgear.routing.failover import Attempt
from switchgear.schema.errors import GatewayError
from switchgear.schema.kinds import McpToolCall, McpToolsList
from switchgear.trip import Answer, Trip

if TYPE_CHECKING:
    from switchgear.mcp.upstream import Upstream

Run = Callable[[Any], Awaitable[Answer]]  # one trip through the pipeline
KindService = Callable[[Trip], Awaitable[dict[str, Any]]]


class McpService:
    def __init__(self, config: McpConfig, guards: Guards, run: Run) -> None:
        found = problems(config)
        if found:
            (path, message), *_ = found
            raise ValueError(f"{'.'.join(map(str, path))}: {message}")
        self.config = config
        self.guards = guards
        self.access = ToolAccess(config)
        self.upstreams: dict[str, Upstream] = {}
        self._run = run
        self._description_scores: dict[str, float] = {}

    def services(self) -> dict[str, KindService]:
        return {"mcp.tools.list": self._list, "mcp.tools.call": self._call}

    async def start(self) -> None:
        """Connects to every server; waits (at most `connect_timeout_s`) for each to answer
        or fail once, so the first `tools/list` sees the servers that are up."""
        if not self.config.servers:
            return
        from switchgear.mcp.upstream import Upstream  # the MCP SDK loads only when configured

        # The SDK logs every stateless request (and its HTTP client every request) at INFO;
        # the ledger already has a row for each.
        quiet = max(logging.WARNING, logging.getLogger().level)
        for name in ("mcp", "httpx2"):
            logging.getLogger(name).setLevel(quiet)
        for name, server in self.config.servers.items():
            self.upstreams[name] = upstream = Upstream(name, server, self.config)
            upstream.start()
        waits = [asyncio.ensure_future(u.connected.wait()) for u in self.upstreams.values()]
        _, pending = await asyncio.wait(waits, timeout=self.config.connect_timeout_s)
        for wait in pending:
            wait.cancel()

    async def stop(self) -> None:
        await asyncio.gather(*(u.stop() for u in self.upstreams.values()))

    # -- the tool catalogue ----------------------------------------------------------------

    def served_tools(self) -> list[dict[str, Any]]:
        """Every tool of every server that is up, under its served name."""
        separator = self.config.separator
        return [
            {**tool, "name": served_name(server, tool["name"], separator)}
            for server, upstream in self.upstreams.items()
            if upstream.ready
            for tool in upstream.tools
        ]

    def input_schema(self, name: str) -> dict[str, Any] | None:
        """A served tool's input schema, whoever asks (for protocol-level argument checks)."""
        tool = next((t for t in self.served_tools() if t["name"] == name), None)
        return tool.get("inputSchema") if tool is not None else None

    def tools_for(self, identity: Identity) -> list[dict[str, Any]]:
        """The tools this caller may call, as MCP tool objects (a plain look-up, not a trip)."""
        return [t for t in self.served_tools() if self.access.allows(identity, t["name"])]

    async def list_tools(self, identity: Identity) -> list[dict[str, Any]]:
        """`tools/list` for a caller, as one ledgered trip (inside a request already admitted:
        it counts against the caller's limits, without a concurrency slot)."""
        answer = await self._run(McpToolsList(on_behalf_of=identity))
        tools: list[dict[str, Any]] = answer.body["tools"]
        return tools

    async def call(
        self, identity: Identity, name: str, arguments: dict[str, Any]
    ) -> dict[str, Any]:
        """`tools/call` for a caller, through the whole pipeline: the MCP result (screened).
        Raises `GatewayError`s; `ToolFailed` (`isError: true`) carries the tool's result."""
        answer = await self._run(McpToolCall(name, arguments, on_behalf_of=identity))
        return answer.body

    # -- the provider step of the MCP kinds ------------------------------------------------

    async def _list(self, trip: Trip) -> dict[str, Any]:
        assert trip.admission is not None
        identity = trip.admission.identity
        policy = self.guards.policy_of(identity, trip.model)
        check = tool_text_check(self.guards, policy)
        tools = screen_tools(
            self.tools_for(identity), check, self._description_scores, trip.guard_decisions
        )
        return {"tools": tools}

    async def _call(self, trip: Trip) -> dict[str, Any]:
        request: McpToolCall = trip.request
        assert trip.admission is not None
        upstream, tool = self._find(request.name)
        trip.route = upstream.name
        guarded = trip.guarded
        if guarded is not None and guarded.route_local and not upstream.config.is_self_hosted():
            raise Forbidden(
                "The arguments hold personal data that this key's guard policy keeps on "
                f"self-hosted services, and the MCP server `{upstream.name}` is not one "
                "(see mcp.servers.*.self_hosted).",
                code="self_hosted_required",
            )
        started = time.perf_counter()
        try:
            result = await upstream.call(request.name, tool, request.arguments)
        except GatewayError as error:
            trip.attempts.append(_attempt(upstream.name, started, error))
            raise
        failed = ToolFailed(request.name, result) if result.get("isError") else None
        trip.attempts.append(_attempt(upstream.name, started, failed))
        policy = self.guards.policy_of(trip.admission.identity, trip.model)
        check = tool_text_check(self.guards, policy)
        result = await screen_result(
            request.name, result, self.guards, guarded, check, trip.guard_decisions
        )
        if failed is not None:
            raise ToolFailed(request.name, result)
        return result

    def _find(self, name: str) -> tuple[Upstream, str]:
        """The server and its own name for a served tool name."""
        parts = split_name(name, self.config.separator)
        upstream = self.upstreams.get(parts[0]) if parts else None
        if parts is None or upstream is None:
            raise UnknownTool(name)
        if not upstream.ready:
            raise ServerUnavailable(upstream.name, upstream.error or "reconnecting")
        if not any(tool["name"] == parts[1] for tool in upstream.tools):
            raise UnknownTool(name)
        return upstream, parts[1]


def _attempt(server: str, started: float, error: GatewayError | None) -> Attempt:
    """The call to the tool's server, for the ledger's attempts (its latency alone)."""
    latency = (time.perf_counter() - started) * 1000
    if error is None:
        return Attempt(f"mcp:{server}", "ok", 200, None, latency, provider="mcp")
    return Attempt(f"mcp:{server}", "error", error.status, error.code, latency, provider="mcp")


def openai_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """An MCP tool as an OpenAI chat `tools` entry (for a tool loop offering MCP tools)."""
    parameters = tool.get("inputSchema") or {"type": "object", "properties": {}}
    function: dict[str, Any] = {"name": tool["name"], "parameters": parameters}
    if tool.get("description"):
        function["description"] = tool["description"]
    return {"type": "function", "function": function}
