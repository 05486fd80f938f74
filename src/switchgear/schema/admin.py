"""Admin API request bodies (keys, collections)."""

from __future__ import annotations

from typing import Any

import msgspec


class KeySpec(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str | None = None
    team: str | None = None
    app: str | None = None
    allowed_models: list[str] | None = None
    # MCP tools the key may call, as fnmatch patterns over served names (`everything__*`).
    allowed_tools: list[str] | None = None
    guard_policy: str | None = None
    tags: list[str] | None = None
    expires_at: float | None = None
    metadata: dict[str, Any] | None = None
    limits: dict[str, int] | None = None
    budgets: dict[str, float] | None = None


class CollectionSpec(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    description: str = ""
