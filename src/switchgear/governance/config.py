"""The `governance:` section of the config."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

import msgspec

NonNegative = Annotated[int, msgspec.Meta(ge=0)]


class Limits(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    rpm: NonNegative | None = None
    tpm: NonNegative | None = None
    concurrency: NonNegative | None = None


class Budgets(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    daily: Annotated[float, msgspec.Meta(ge=0)] | None = None
    monthly: Annotated[float, msgspec.Meta(ge=0)] | None = None


class ScopeSettings(msgspec.Struct, forbid_unknown_fields=True):
    limits: Limits = msgspec.field(default_factory=Limits)
    budgets: Budgets = msgspec.field(default_factory=Budgets)
    tags: list[str] = []


class PolicyWhen(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Who a policy applies to; every condition given must hold. None = any."""

    tags_any: list[str] | None = None
    teams: list[str] | None = None
    apps: list[str] | None = None
    personal_data: bool | None = None


class PolicyDeny(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Which models it keeps them from; a model matching any condition is denied."""

    licence_in: list[str] | None = None
    external: bool | None = None
    region_not_in: list[str] | None = None
    models: list[str] | None = None


class Policy(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    deny: PolicyDeny
    when: PolicyWhen = msgspec.field(default_factory=PolicyWhen)


class GovernanceConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    admin_key_env: str = "SWITCHGEAR_ADMIN_KEY"
    admin_key_file: str | None = None
    teams: dict[str, ScopeSettings] = {}
    apps: dict[str, ScopeSettings] = {}
    # Spending past this share of a budget adds a warning header and a ledger event.
    soft_budget_ratio: Annotated[float, msgspec.Meta(gt=0, le=1)] = 0.8
    # Savings reports price self-hosted traffic as if it had gone to this model.
    reference_model: str | None = None
    limiter: Literal["auto", "memory", "redis"] = "auto"
    policies: list[Policy] = []

    def admin_key(self) -> str | None:
        if self.admin_key_file:
            return Path(self.admin_key_file).expanduser().read_text(encoding="utf-8").strip()
        return os.environ.get(self.admin_key_env) or None
