"""The console's pages: overview, keys, audit log, models and routes."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from switchgear.api.admin_routes import registry_entry
from switchgear.console.auth_routes import audit_console_action
from switchgear.console.overview_data import GROUPS, WINDOWS, build_overview
from switchgear.console.policy_denials import WINDOW_S as POLICY_WINDOW_S
from switchgear.console.policy_denials import PolicyDenials, denials_by_policy
from switchgear.console.web import (
    changing_session,
    gateway_of,
    page_session,
    render,
    text_field,
)
from switchgear.governance.config import Budgets, Limits
from switchgear.governance.keys import public_view
from switchgear.schema.admin import KeySpec
from switchgear.schema.errors import InvalidRequest, NotFound
from switchgear.store.audit_chain import verify_chain

AUDIT_PAGE = 50
# Suggestions for the audit filter (what the admin API, the console and the doors write).
KNOWN_ACTIONS = (
    "keys.create", "keys.update", "keys.revoke", "keys.rotate", "console.sign_in",
    "console.users.add", "knowledge.create_collection", "knowledge.ingest", "knowledge.delete",
    "chat.completions",
)  # fmt: skip


async def home(request: Request) -> Response:
    return RedirectResponse("/console/overview", 303)


async def overview(request: Request) -> Response:
    session = page_session(request)
    if isinstance(session, Response):
        return session
    gateway = gateway_of(request)
    window = request.query_params.get("window", "hour")
    group = request.query_params.get("group", "model")
    window = window if window in WINDOWS else "hour"
    group = group if group in GROUPS else "model"
    targets = {t.model_id: t for t in gateway.router.targets}
    reference_name = gateway.config.governance.reference_model
    reference = targets.get(reference_name) if reference_name else None
    await asyncio.to_thread(gateway.ledger.flush)
    view = await asyncio.to_thread(build_overview, gateway.store, window, group, targets, reference)
    return render(
        request, "overview.html", session, view=view, windows=list(WINDOWS), groups=list(GROUPS)
    )


async def keys_page(request: Request, created: dict[str, Any] | None = None) -> Response:
    session = page_session(request)
    if isinstance(session, Response):
        return session
    gateway = gateway_of(request)
    rows = [public_view(r) for r in reversed(gateway.governor.keys.list())]
    midnight = time.time() // 86400 * 86400  # budgets are per UTC day

    def spend() -> dict[str, float]:
        gateway.ledger.flush()
        budgeted = [r["id"] for r in rows if r["budgets"]]
        return {k: gateway.store.spend_since("key_id", k, midnight) for k in budgeted}

    spent = await asyncio.to_thread(spend)
    return render(request, "keys.html", session, keys=rows, created=created, spent=spent)


async def create_key(request: Request) -> Response:
    session, form = await changing_session(request)
    fields: dict[str, Any] = {
        name: text_field(form, name, 100) or None for name in ("name", "team", "app")
    }
    models = [m.strip() for m in text_field(form, "allowed_models", 1000).split(",")]
    fields["allowed_models"] = [m for m in models if m] or None
    rpm, budget = text_field(form, "rpm", 12), text_field(form, "daily_budget", 20)
    try:
        fields["limits"] = {"rpm": int(rpm)} if rpm else None
        fields["budgets"] = {"daily": float(budget)} if budget else None
    except ValueError:
        raise InvalidRequest("Requests per minute and the daily budget are numbers.") from None
    if (fields["limits"] and fields["limits"]["rpm"] < 1) or (
        fields["budgets"] and not 0 <= fields["budgets"]["daily"] < 1e12
    ):
        raise InvalidRequest("Requests per minute is at least 1; a budget is 0 or more.")
    row, secret = gateway_of(request).governor.keys.create(fields)
    await audit_console_action(request, session.name, "keys.create", row.id, public_view(row))
    # The secret is in this one response only; the list shows its prefix from now on.
    return await keys_page(request, created={**public_view(row), "key": secret})


async def rotate_key(request: Request) -> Response:
    session, _ = await changing_session(request)
    keys = gateway_of(request).governor.keys
    key_id = _known_key(request)
    row, secret = keys.rotate(key_id)
    await audit_console_action(request, session.name, "keys.rotate", key_id, {"prefix": row.prefix})
    return await keys_page(request, created={**public_view(row), "key": secret})


def _known_key(request: Request) -> str:
    key_id: str = request.path_params["key_id"]
    try:
        gateway_of(request).governor.keys.get(key_id)
    except KeyError:
        raise NotFound(f"No key `{key_id[:80]}`.", param="key_id", code="key_not_found") from None
    return key_id


LIMIT_FIELDS = ("rpm", "tpm", "concurrency")
BUDGET_FIELDS = ("daily", "monthly")


def _limits_and_budgets(form: Any) -> KeySpec:
    """The key's new limits and budgets, checked by the same types the config and the admin
    API use; an empty field leaves that limit or budget out."""
    try:
        limits = {n: int(v) for n in LIMIT_FIELDS if (v := text_field(form, n, 12))}
        budgets = {n: float(v) for n in BUDGET_FIELDS if (v := text_field(form, n, 20))}
        msgspec.convert(limits, Limits)
        msgspec.convert(budgets, Budgets)
    except (ValueError, msgspec.ValidationError):
        raise InvalidRequest("Limits are whole numbers and budgets amounts, 0 or more.") from None
    if any(b >= 1e12 for b in budgets.values()):
        raise InvalidRequest("A budget is under $1,000,000,000,000.")
    return KeySpec(limits=limits, budgets=budgets)


async def update_key_limits(request: Request) -> Response:
    """Like `PATCH /admin/keys/{id}` with `limits` and `budgets`: the same update, audited."""
    session, form = await changing_session(request)
    key_id = _known_key(request)
    spec = _limits_and_budgets(form)
    gateway_of(request).governor.keys.update(key_id, msgspec.structs.asdict(spec))
    detail = msgspec.to_builtins(spec)
    await audit_console_action(request, session.name, "keys.update", key_id, detail)
    return RedirectResponse("/console/keys", 303)


async def revoke_key(request: Request) -> Response:
    session, _ = await changing_session(request)
    key_id = _known_key(request)
    gateway_of(request).governor.keys.revoke(key_id)
    await audit_console_action(request, session.name, "keys.revoke", key_id, {})
    return RedirectResponse("/console/keys", 303)


def _audit_rows(gateway: Any, action: str, actor: str, before: int | None) -> list[dict[str, Any]]:
    """One page of the audit log, newest first, optionally filtered by exact action and
    actor (indexed, so a filter that matches nothing is as quick as one that matches all)."""
    store = gateway.store
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    if action:
        where.append("action = ?")
        params.append(action)
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if before is not None:
        where.append("seq < ?")
        params.append(before)

    def run(cursor: Any) -> list[Any]:
        cursor.execute(
            store.sql(
                "SELECT seq, created_at, kind, actor, action, subject, detail FROM audit "
                f"WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?"
            ),
            (*params, AUDIT_PAGE + 1),
        )
        return list(cursor.fetchall())

    names = ("seq", "created_at", "kind", "actor", "action", "subject", "detail")
    return [dict(zip(names, r, strict=True)) for r in store.transaction(run)]


async def audit(request: Request) -> Response:
    session = page_session(request)
    if isinstance(session, Response):
        return session
    gateway = gateway_of(request)
    params = request.query_params
    action, actor = params.get("action", "")[:100], params.get("actor", "")[:100]
    before_text = params.get("before", "")
    before = int(before_text) if before_text.isdigit() and len(before_text) < 19 else None
    await asyncio.to_thread(gateway.ledger.flush)
    rows = await asyncio.to_thread(_audit_rows, gateway, action, actor, before)
    more = len(rows) > AUDIT_PAGE
    rows = rows[:AUDIT_PAGE]
    partial = (
        request.headers.get("hx-request") == "true"
        and "hx-history-restore-request" not in request.headers
    )
    return render(
        request,
        "audit_rows.html" if partial else "audit.html",
        session,
        rows=rows,
        action=action,
        actor=actor,
        next_before=rows[-1]["seq"] if more and rows else None,
        known_actions=KNOWN_ACTIONS,
    )


async def audit_verify(request: Request) -> Response:
    """The chain verified, as a fragment the audit page loads after it has shown."""
    session = page_session(request)
    if isinstance(session, Response):
        return session
    gateway = gateway_of(request)
    await asyncio.to_thread(gateway.ledger.flush)
    report = verify_chain(await asyncio.to_thread(gateway.store.read_audit))
    return render(request, "audit_verify.html", session, report=report)


async def models_page(request: Request) -> Response:
    session = page_session(request)
    if isinstance(session, Response):
        return session
    from switchgear.routing.describe import describe_routes

    gateway = gateway_of(request)
    registry = [registry_entry(t) for t in gateway.router.targets]

    def denials() -> list[PolicyDenials]:
        gateway.ledger.flush()
        return denials_by_policy(gateway, time.time())

    return render(
        request,
        "models.html",
        session,
        registry=registry,
        routes=describe_routes(gateway.router),
        policies=await asyncio.to_thread(denials),
        window_hours=POLICY_WINDOW_S // 3600,
    )


ROUTES = [
    Route("/console", home, methods=["GET"]),
    Route("/console/", home, methods=["GET"]),
    Route("/console/overview", overview, methods=["GET"]),
    Route("/console/keys", keys_page, methods=["GET"]),
    Route("/console/keys", create_key, methods=["POST"]),
    Route("/console/keys/{key_id}/revoke", revoke_key, methods=["POST"]),
    Route("/console/keys/{key_id}/rotate", rotate_key, methods=["POST"]),
    Route("/console/keys/{key_id}/limits", update_key_limits, methods=["POST"]),
    Route("/console/audit", audit, methods=["GET"]),
    Route("/console/audit/verify", audit_verify, methods=["GET"]),
    Route("/console/models", models_page, methods=["GET"]),
]
