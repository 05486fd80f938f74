"""Which requests each model-registry policy denied, for the models page.

The ledger records a policy refusal as a failed request with the error code
`policy_violation` (and who asked for which model), not the policy's name; the policy is
found again here the way the route stage chose it: the configured policies, in order, against
the caller's team, app and tags and the model (a route's first target, whose refusal the
router reports). A policy edited since the request may be named differently than it was then."""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from switchgear.gateway import Gateway
from switchgear.governance.config import Policy
from switchgear.governance.keys import Identity
from switchgear.governance.registry import first_violation
from switchgear.routing.target import Target
from switchgear.schema.errors import NotFound

WINDOW_S = 24 * 3600
RECENT = 10  # requests listed per policy
SCANNED = 5000  # the newest refusals looked at


@dataclass(slots=True)
class PolicyDenials:
    policy: Policy
    count: int = 0
    recent: list[dict[str, Any]] = field(default_factory=list)


def _refusals(gateway: Gateway, since: float) -> list[dict[str, Any]]:
    store = gateway.store
    names = ("request_id", "created_at", "model", "key_id", "team", "app")

    def run(cursor: Any) -> list[Any]:
        cursor.execute(
            store.sql(
                f"SELECT {', '.join(names)} FROM usage WHERE created_at >= ? "
                "AND error_code = 'policy_violation' ORDER BY created_at DESC LIMIT ?"
            ),
            (since, SCANNED),
        )
        return list(cursor.fetchall())

    return [dict(zip(names, r, strict=True)) for r in store.transaction(run)]


def _caller(gateway: Gateway, row: dict[str, Any]) -> Identity:
    keys = gateway.governor.keys
    tags: tuple[str, ...] = ()
    if row["key_id"]:
        with contextlib.suppress(KeyError):  # a key deleted since: its team and app count
            tags = keys.get(row["key_id"]).tags
    identity = Identity(
        key_id=row["key_id"], name="", team=row["team"], app=row["app"], allowed_models=(),
        guard_policy=None, tags=tags, limits={}, budgets={},
    )  # fmt: skip
    return dataclasses.replace(identity, tags=gateway.governor.tags_of(identity))


def _target(gateway: Gateway, model: str) -> Target | None:
    try:
        return gateway.router.first_target(model)
    except NotFound:  # a model no longer configured: nothing to attribute it to
        return None


def denials_by_policy(gateway: Gateway, now: float) -> list[PolicyDenials]:
    """Each configured policy with its refusals of the last day, newest first."""
    policies = gateway.governor.config.policies
    found = {p.name: PolicyDenials(p) for p in policies}
    for row in _refusals(gateway, now - WINDOW_S):
        target = _target(gateway, row["model"])
        if target is None:
            continue
        caller = _caller(gateway, row)
        policy = first_violation(policies, caller, target, False) or first_violation(
            policies, caller, target, True
        )
        if policy is None:
            continue
        entry = found[policy.name]
        entry.count += 1
        if len(entry.recent) < RECENT:
            entry.recent.append({**row, "target": target.model_id})
    return list(found.values())
