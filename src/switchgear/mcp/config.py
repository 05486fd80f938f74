"""The `mcp:` section of the config file: the MCP servers whose tools the gateway serves at
`/mcp`, and which callers may call which of them. With no servers, `/mcp` is not served.

```yaml
mcp:
  separator: "__"            # tools are served as <server><separator><tool>: everything__echo
  call_timeout_s: 30
  servers:
    everything:              # a stdio server: the gateway starts it and talks over its pipes
      command: npx
      args: ["-y", "@modelcontextprotocol/server-everything"]
      env: {LOG_LEVEL: warn}
    files:                   # a remote server over streamable HTTP
      url: "https://files.internal.example/mcp"
      headers: {X-Team: support}
      headers_env: {Authorization: FILES_MCP_AUTHORIZATION}   # value read from the environment
  access:                    # fnmatch patterns over the served names
    default: ["*"]           # for callers that no rule below (and no key's allowed_tools) names
    teams: {support: ["files__*", "everything__echo"]}
    apps: {}
  max_tool_steps: 8          # the gateway's own tool loop (requests that name MCP servers)
```
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec

Seconds = Annotated[float, msgspec.Meta(gt=0)]
# Letters, digits, `_` and `-`, not at either end: the served names stay inside the alphabet
# both MCP and OpenAI function names accept (`[A-Za-z0-9_-]`).
SERVER_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class McpServerConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One backing MCP server: a command (stdio) or a URL (streamable HTTP), not both."""

    command: str | None = None
    args: list[str] = []
    # Added to the few variables a stdio server inherits (PATH, HOME, …; never the gateway's
    # secrets).
    env: dict[str, str] = {}
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = {}
    # Header name -> environment variable holding its value (tokens stay out of the file).
    headers_env: dict[str, str] = {}
    # Whether the server runs on infrastructure the operator controls, for personal data a
    # `route_local` policy keeps in-house. Default: yes for a command, no for a URL.
    self_hosted: bool | None = None
    call_timeout_s: Seconds | None = None  # default: mcp.call_timeout_s

    @property
    def transport(self) -> str:
        return "stdio" if self.command is not None else "http"

    def is_self_hosted(self) -> bool:
        return self.command is not None if self.self_hosted is None else self.self_hosted


class McpAccessConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Which served tools a caller may list and call, as fnmatch patterns (`files__*`).

    A caller is held to every rule that names it: its key's `allowed_tools`, its team's and
    its app's patterns here (a key can narrow what its team may call, never widen it). A caller
    that none of them names gets `default`. The admin key may call every tool."""

    default: list[str] = msgspec.field(default_factory=lambda: ["*"])
    teams: dict[str, list[str]] = {}
    apps: dict[str, list[str]] = {}


class McpConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    servers: dict[str, McpServerConfig] = {}
    separator: Literal["__", "-"] = "__"
    call_timeout_s: Seconds = 30.0
    # How long starting a server and its handshake may take (`npx` may download it first).
    connect_timeout_s: Seconds = 60.0
    # An idle connection is pinged this often; a server that stops answering is reconnected.
    ping_interval_s: Seconds = 30.0
    # The longest wait between reconnection attempts to a server that is down.
    reconnect_max_s: Seconds = 30.0
    access: McpAccessConfig = msgspec.field(default_factory=McpAccessConfig)
    # The gateway's own tool loop (`tool_loop.py`): rounds of MCP tool calls one request may
    # make before the model is asked to answer without tools.
    max_tool_steps: Annotated[int, msgspec.Meta(ge=1, le=64)] = 8


def problems(config: McpConfig) -> list[tuple[tuple[str | int, ...], str]]:
    """What is wrong with the section, each as (path under `mcp`, message)."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    for name, server in config.servers.items():
        at: tuple[str | int, ...] = ("mcp", "servers", name)
        if not SERVER_NAME.match(name) or config.separator in name:
            out.append(
                (
                    at,
                    f"server name `{name}` must be letters, digits, `_` or `-` (not at either "
                    f"end) and must not contain the separator `{config.separator}`",
                )
            )
        if (server.command is None) == (server.url is None):
            out.append((at, "give either `command` (a stdio server) or `url` (HTTP), not both"))
            continue
        if server.command is not None:
            if not server.command.strip():
                out.append(((*at, "command"), "the command is empty"))
            if server.headers or server.headers_env:
                out.append(((*at, "headers"), "headers are for `url` servers"))
        else:
            if server.args or server.env or server.cwd is not None:
                out.append(((*at, "args"), "`args`, `env` and `cwd` are for `command` servers"))
            if not re.match(r"^https?://[^/\s]+", server.url or ""):
                out.append(((*at, "url"), f"`{server.url}` is not an http:// or https:// URL"))
        for header, variable in server.headers_env.items():
            if not ENV_NAME.match(variable):
                out.append(
                    ((*at, "headers_env", header), f"`{variable}` is not an environment variable")
                )
    lists: list[tuple[tuple[str | int, ...], list[str]]] = [
        (("mcp", "access", "default"), config.access.default)
    ]
    for where, table in (("teams", config.access.teams), ("apps", config.access.apps)):
        lists += [(("mcp", "access", where, scope), patterns) for scope, patterns in table.items()]
    for at, patterns in lists:
        out += [((*at, i), "empty pattern") for i, p in enumerate(patterns) if not p.strip()]
    return out
