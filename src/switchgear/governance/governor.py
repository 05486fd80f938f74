"""The pipeline's auth stage: who is calling, may they use this model, are they within their
limits and budgets. And, once the answer is done, what it cost them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from switchgear.governance.budgets import BudgetBook, ScopeBudget
from switchgear.governance.config import GovernanceConfig
from switchgear.governance.keys import ANONYMOUS, Identity, KeyRing
from switchgear.governance.limits import Limiter, Permit, ScopeLimits
from switchgear.schema.errors import GatewayError


class Unauthorized(GatewayError):
    status = 401
    type = "invalid_request_error"


class Forbidden(GatewayError):
    status = 403
    type = "permission_error"


@dataclass(slots=True)
class Admission:
    identity: Identity
    permit: Permit | None = None
    budgets: list[ScopeBudget] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    reserved: float = 0.0  # estimated cost held in the budgets until settlement


class Governor:
    def __init__(
        self, config: GovernanceConfig, keys: KeyRing, limiter: Limiter, budgets: BudgetBook
    ) -> None:
        self.config = config
        self.keys = keys
        self.limiter = limiter
        self.budgets = budgets

    def identify(self, secret: str | None) -> Identity:
        if not self.keys.enforced:
            return ANONYMOUS
        if not secret:
            raise Unauthorized(
                "You didn't provide an API key. Send it as `Authorization: Bearer <key>`.",
                code="missing_api_key",
            )
        found = self.keys.identify(secret)
        if found is None:
            shown = secret[:6] + "…" if len(secret) > 6 else "…"
            raise Unauthorized(f"Incorrect API key provided: {shown}", code="invalid_api_key")
        if not isinstance(found, Identity):
            raise Unauthorized(
                f"The API key {found.prefix}… is revoked or expired.", code="invalid_api_key"
            )
        return found

    async def admit(
        self,
        request_id: str,
        secret: str | None,
        model: str | None,
        tokens: int,
        estimate: Callable[[], float] = lambda: 0.0,
    ) -> Admission:
        """Identity, permission for `model` (None: the kind checks per item, like a listing),
        limits and budgets."""
        return await self.admit_caller(request_id, self.identify(secret), model, tokens, estimate)

    async def admit_caller(
        self,
        request_id: str,
        identity: Identity,
        model: str | None,
        tokens: int,
        estimate: Callable[[], float] = lambda: 0.0,
    ) -> Admission:
        """`admit` for a caller already identified."""
        if model is not None and not identity.may_use(model):
            raise Forbidden(
                f"This key may not use `{model}` (allowed: {', '.join(identity.allowed_models)}).",
                code="model_not_allowed",
                param="model",
            )
        return await self.admit_identity(request_id, identity, tokens, estimate=estimate)

    async def admit_identity(
        self,
        request_id: str,
        identity: Identity,
        tokens: int,
        *,
        nested: bool = False,
        estimate: Callable[[], float] = lambda: 0.0,
    ) -> Admission:
        """Limits and budgets for a known caller. `nested`: a call made inside one of the
        caller's requests (it counts, but takes no concurrency slot of its own). `estimate`:
        the most this request may cost, reserved in its budgets until it settles."""
        admission = Admission(identity)
        if identity.is_admin:
            return admission
        admission.budgets = self._budgets(identity)
        if admission.budgets:
            admission.reserved = estimate()
            admission.warnings = await self.budgets.check(admission.budgets, admission.reserved)
        if admission.warnings:
            admission.headers["x-switchgear-budget-warning"] = "; ".join(admission.warnings)
        scopes = self._limits(identity)
        if nested:
            scopes = [ScopeLimits(s.scope, s.rpm, s.tpm, None) for s in scopes]
        if scopes:
            try:
                admission.permit = await self.limiter.admit(request_id, scopes, tokens)
            except BaseException:
                await self.budgets.add(admission.budgets, -admission.reserved)
                raise
            admission.headers.update(admission.permit.headers)
        return admission

    async def settle(self, admission: Admission, tokens: int, cost: float) -> None:
        if admission.permit is not None:
            await self.limiter.settle(admission.permit, tokens)
        await self.budgets.add(admission.budgets, cost - admission.reserved)

    def _limits(self, identity: Identity) -> list[ScopeLimits]:
        scopes = []
        if identity.key_id and identity.limits:
            scopes.append(ScopeLimits(f"key:{identity.key_id}", **_limit_fields(identity.limits)))
        for kind, name, table in (
            ("team", identity.team, self.config.teams),
            ("app", identity.app, self.config.apps),
        ):
            settings = table.get(name) if name else None
            if settings is not None:
                limits = settings.limits
                if limits.rpm is not None or limits.tpm is not None or limits.concurrency:
                    scopes.append(
                        ScopeLimits(f"{kind}:{name}", limits.rpm, limits.tpm, limits.concurrency)
                    )
        return scopes

    def _budgets(self, identity: Identity) -> list[ScopeBudget]:
        found = []
        if identity.key_id and identity.budgets:
            found.append(
                ScopeBudget(
                    "key_id",
                    identity.key_id,
                    identity.budgets.get("daily"),
                    identity.budgets.get("monthly"),
                )
            )
        for column, name, table in (
            ("team", identity.team, self.config.teams),
            ("app", identity.app, self.config.apps),
        ):
            settings = table.get(name) if name else None
            if settings is not None and (settings.budgets.daily or settings.budgets.monthly):
                found.append(
                    ScopeBudget(
                        column, name or "", settings.budgets.daily, settings.budgets.monthly
                    )
                )
        return found

    def tags_of(self, identity: Identity) -> tuple[str, ...]:
        """A caller's tags: its key's, plus its team's and app's from the config."""
        tags = list(identity.tags)
        for name, table in ((identity.team, self.config.teams), (identity.app, self.config.apps)):
            if name and name in table:
                tags += table[name].tags
        return tuple(tags)


def _limit_fields(limits: dict[str, int]) -> dict[str, int | None]:
    return {k: limits.get(k) for k in ("rpm", "tpm", "concurrency")}
