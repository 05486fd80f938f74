"""Served tool names and who may call them.

A backing server's tool `echo` is served as `<server><separator><tool>` (`everything__echo`),
so two servers' tools never collide and a permission pattern can name a whole server
(`everything__*`). Server names cannot hold the separator, so the first one splits a name.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from switchgear.governance.keys import Identity
from switchgear.mcp.config import McpConfig


def served_name(server: str, tool: str, separator: str) -> str:
    return f"{server}{separator}{tool}"


def split_name(name: str, separator: str) -> tuple[str, str] | None:
    """(server, tool) of a served name; None when it names no server."""
    server, found, tool = name.partition(separator)
    return (server, tool) if found and server and tool else None


class ToolAccess:
    """The tool permissions of the config (`mcp.access`) and of each key (`allowed_tools`)."""

    def __init__(self, config: McpConfig) -> None:
        self.default = tuple(config.access.default)
        self.teams = {k: tuple(v) for k, v in config.access.teams.items()}
        self.apps = {k: tuple(v) for k, v in config.access.apps.items()}

    def rules_for(self, identity: Identity) -> list[tuple[str, ...]]:
        """Every rule the caller is held to (all must allow a tool)."""
        rules = [identity.allowed_tools] if identity.allowed_tools else []
        if identity.team is not None and identity.team in self.teams:
            rules.append(self.teams[identity.team])
        if identity.app is not None and identity.app in self.apps:
            rules.append(self.apps[identity.app])
        return rules or [self.default]

    def allows(self, identity: Identity, name: str) -> bool:
        if identity.is_admin:
            return True
        return all(_matches(name, rule) for rule in self.rules_for(identity))

    def describe(self, identity: Identity) -> str:
        """The caller's rules, for an error message."""
        return " and ".join(", ".join(rule) or "nothing" for rule in self.rules_for(identity))


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in patterns)
