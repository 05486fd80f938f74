"""Model registry policies: which callers may use which models, by licence, host and region."""

from __future__ import annotations

from switchgear.governance.config import Policy
from switchgear.governance.keys import Identity
from switchgear.routing.target import Target
from switchgear.schema.errors import GatewayError


class PolicyDenied(GatewayError):
    status = 403
    type = "permission_error"


def applies(policy: Policy, identity: Identity, personal_data: bool) -> bool:
    when = policy.when
    return (
        (when.tags_any is None or bool(set(when.tags_any) & set(identity.tags)))
        and (when.teams is None or identity.team in when.teams)
        and (when.apps is None or identity.app in when.apps)
        and (when.personal_data is None or when.personal_data == personal_data)
    )


def denies(policy: Policy, target: Target) -> bool:
    deny = policy.deny
    return bool(
        (deny.licence_in is not None and target.licence in deny.licence_in)
        or (deny.external is True and not target.self_hosted)
        or (deny.region_not_in is not None and target.region not in deny.region_not_in)
        or (deny.models is not None and target.model_id in deny.models)
    )


def first_violation(
    policies: list[Policy], identity: Identity, target: Target, personal_data: bool = False
) -> Policy | None:
    for policy in policies:
        if applies(policy, identity, personal_data) and denies(policy, target):
            return policy
    return None


def refusal(policy: Policy, target: Target) -> PolicyDenied:
    return PolicyDenied(
        f"Policy `{policy.name}` does not allow this caller to use `{target.model_id}` "
        f"(licence {target.licence}, {'self-hosted' if target.self_hosted else 'external'}, "
        f"region {target.region}).",
        code="policy_violation",
        param="model",
    )
