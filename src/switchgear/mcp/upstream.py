"""One backing MCP server, through the official SDK's `Client`: a session held open by a
background task (reconnected with backoff when it cannot start or breaks), its tool list
(refetched on `notifications/tools/list_changed`), and calls with a timeout.

The session lives in its own task because the SDK's transports are anyio task groups that
must be entered and left by the same task; requests from any task may share the session
(the SDK matches answers to requests by id). A server that is down never holds up the
gateway: it has no tools until it is back, and a call to it fails at once with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import httpx2
import mcp_types as types
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from switchgear import __version__
from switchgear.mcp.config import McpConfig, McpServerConfig
from switchgear.mcp.errors import ServerUnavailable, ToolRejected, ToolTimeout

log = logging.getLogger("switchgear.mcp")

_MAX_PAGES = 100  # a server whose tool list never ends cannot hang the refresh
_FIRST_RETRY_S = 0.5
_CLIENT = types.Implementation(name="switchgear", version=__version__)


def _dump(model: Any) -> dict[str, Any]:
    """A result or tool as its wire JSON, without the SDK's era marker (`resultType`): the
    door's own SDK server writes that for the caller's protocol version."""
    body: dict[str, Any] = model.model_dump(by_alias=True, mode="json", exclude_none=True)
    body.pop("resultType", None)
    return body


def describe(error: BaseException) -> str:
    """A one-line reason, from the innermost error of an exception group."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:300]


class Upstream:
    def __init__(self, name: str, config: McpServerConfig, settings: McpConfig) -> None:
        self.name = name
        self.config = config
        self.settings = settings
        self.call_timeout_s = config.call_timeout_s or settings.call_timeout_s
        self.tools: list[dict[str, Any]] = []  # as the server lists them (its own names)
        self.error: str | None = "not connected yet"
        self.connected = asyncio.Event()  # set once the first attempt is over, either way
        self._client: Client | None = None
        self._wake = asyncio.Event()
        self._stale = False  # the server said its tools changed
        self._broken = False  # a request found the connection closed
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        return self._client is not None and not self._broken

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(
            self._keep_connected(), name=f"mcp-{self.name}"
        )

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=10)
        except TimeoutError:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    # -- the connection --------------------------------------------------------------------

    async def _keep_connected(self) -> None:
        delay = _FIRST_RETRY_S
        while not self._stopping:
            try:
                async with self._open() as client:
                    self._client, self._broken = client, False
                    await self._refresh(client)
                    self.error, delay = None, _FIRST_RETRY_S
                    log.info("mcp server %s: connected, %d tools", self.name, len(self.tools))
                    self.connected.set()
                    await self._serve(client)
            except Exception as error:  # any failure to start or to keep talking: retry
                self.error = describe(error)
                log.warning("mcp server %s unavailable: %s", self.name, self.error)
            finally:
                self._client, self.tools = None, []
            self.connected.set()
            if self._stopping:
                break
            await self._sleep(delay)
            delay = min(delay * 2, self.settings.reconnect_max_s)
        self.error = "stopped"

    def _open(self) -> Client:
        target: Any
        if self.config.command is not None:
            target = StdioServerParameters(
                command=self.config.command,
                args=self.config.args,
                env=self.config.env or None,
                cwd=self.config.cwd,
            )
        else:
            target = self._http(self.config.url or "", self._headers())
        # The handshake waits as long as a start may take; each later request sets its own.
        return Client(
            target,
            mode="legacy",  # the initialize handshake: what every server today speaks
            read_timeout_seconds=self.settings.connect_timeout_s,
            cache=None,  # the gateway keeps the tool list itself
            message_handler=self._on_message,
            client_info=_CLIENT,
        )

    def _headers(self) -> dict[str, str]:
        headers = dict(self.config.headers)
        for header, variable in self.config.headers_env.items():
            value = os.environ.get(variable)
            if value is None:
                raise RuntimeError(f"environment variable {variable} (header {header}) is unset")
            headers[header] = value
        return headers

    @asynccontextmanager
    async def _http(self, url: str, headers: dict[str, str]) -> AsyncIterator[Any]:
        timeout = httpx2.Timeout(self.settings.connect_timeout_s, read=self.call_timeout_s + 5)
        async with (
            create_mcp_http_client(headers=headers, timeout=timeout) as http,
            streamable_http_client(url, http_client=http) as streams,
        ):
            yield streams

    async def _serve(self, client: Client) -> None:
        """Until the gateway stops or the connection breaks: refetch the tools when the server
        says they changed, and ping when idle, so a dead server is noticed and reconnected."""
        while not (self._stopping or self._broken):
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.ping_interval_s)
            except TimeoutError:
                await client.send_ping()
                continue
            if self._stale and not self._stopping:
                self._stale = False
                await self._refresh(client)

    async def _refresh(self, client: Client) -> None:
        tools: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(_MAX_PAGES):
            page = await client.list_tools(cursor=cursor)
            tools += [_dump(tool) for tool in page.tools]
            cursor = page.next_cursor
            if cursor is None:
                break
        self.tools = tools

    async def _on_message(self, message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            self._stale = True
            self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        with suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    # -- calls -----------------------------------------------------------------------------

    async def call(self, served: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """The tool's result as its wire JSON (an `isError` result included). Raises
        `ServerUnavailable`, `ToolTimeout` or `ToolRejected`."""
        client = self._client
        if client is None or self._broken:
            raise ServerUnavailable(self.name, self.error or "reconnecting")
        timeout = self.call_timeout_s
        try:
            result = await client.call_tool(tool, arguments, read_timeout_seconds=timeout)
        except MCPError as error:
            if error.code == types.REQUEST_TIMEOUT:
                raise ToolTimeout(served, timeout) from error
            if error.code == types.CONNECTION_CLOSED:
                self._broken = True  # reconnect now rather than at the next ping
                self._wake.set()
                raise ServerUnavailable(self.name, "the connection closed") from error
            raise ToolRejected(served, error.code, error.message) from error
        except Exception as error:  # a result the SDK could not read
            raise ToolRejected(served, types.INTERNAL_ERROR, describe(error)) from error
        return _dump(result)
