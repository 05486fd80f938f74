"""Admin API: keys, usage reports, the model registry, prompt templates, the audit chain.
Thin: validate, call governance, convert back. Every change is written to the audit log
before the reply.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchgear.api.auth import caller_secret
from switchgear.api.body import decode_body, read_body
from switchgear.gateway import Gateway
from switchgear.governance.governor import Forbidden, Unauthorized
from switchgear.governance.keys import public_view
from switchgear.governance.reports import GROUPS, to_csv, usage_report
from switchgear.schema.admin import KeySpec
from switchgear.schema.errors import InvalidRequest, NotFound
from switchgear.stages.template import template_stage
from switchgear.store.audit_chain import verify_chain
from switchgear.store.base import AdminEvent
from switchgear.templates.config import TEMPLATE_NAME, TemplateConfig, template_problems
from switchgear.templates.versions import VersionConflict

_encode = msgspec.json.encode
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def json_response(body: Any, status: int = 200) -> Response:
    return Response(_encode(body), status_code=status, media_type="application/json")


def admin_gateway(request: Request) -> Gateway:
    """The admin key when one is configured; otherwise loopback callers only."""
    gateway: Gateway = request.app.state.gateway
    keys = gateway.governor.keys
    secret = caller_secret(request)
    if keys.has_admin_key:
        if secret and keys.is_admin_secret(secret):
            return gateway
        if secret and keys.identify(secret) is not None:
            # A caller we know, without the right: 403, not "who are you?".
            raise Forbidden(
                "This key may not use the admin API; it needs the admin key.",
                code="admin_key_required",
            )
        raise Unauthorized("The admin API needs the admin key.", code="invalid_admin_key")
    elif request.client is None or request.client.host not in _LOOPBACK:
        raise Forbidden(
            "No admin key is configured, so the admin API answers loopback callers only.",
            code="admin_loopback_only",
        )
    return gateway


async def audit_admin_action(
    gateway: Gateway, action: str, subject: str, detail: dict[str, Any]
) -> None:
    event = AdminEvent(time.time(), "admin", action, subject, detail)
    await asyncio.wrap_future(gateway.ledger.record(event))


async def create_key(request: Request) -> Response:
    gateway = admin_gateway(request)
    spec = decode_body(await read_body(request, 65536), KeySpec)
    row, secret = gateway.governor.keys.create(msgspec.structs.asdict(spec))
    await audit_admin_action(gateway, "keys.create", row.id, public_view(row))
    return json_response({**public_view(row), "key": secret}, status=201)


async def list_keys(request: Request) -> Response:
    gateway = admin_gateway(request)
    return json_response(
        {"object": "list", "data": [public_view(r) for r in gateway.governor.keys.list()]}
    )


def _key_id(request: Request, gateway: Gateway) -> str:
    key_id: str = request.path_params["key_id"]
    try:
        gateway.governor.keys.get(key_id)
    except KeyError:
        raise NotFound(f"No key `{key_id}`.", param="key_id", code="key_not_found") from None
    return key_id


async def get_key(request: Request) -> Response:
    gateway = admin_gateway(request)
    return json_response(public_view(gateway.governor.keys.get(_key_id(request, gateway))))


async def update_key(request: Request) -> Response:
    gateway = admin_gateway(request)
    key_id = _key_id(request, gateway)
    spec = decode_body(await read_body(request, 65536), KeySpec)
    row = gateway.governor.keys.update(key_id, msgspec.structs.asdict(spec))
    await audit_admin_action(gateway, "keys.update", key_id, msgspec.to_builtins(spec))
    return json_response(public_view(row))


async def revoke_key(request: Request) -> Response:
    gateway = admin_gateway(request)
    key_id = _key_id(request, gateway)
    row = gateway.governor.keys.revoke(key_id)
    await audit_admin_action(gateway, "keys.revoke", key_id, {})
    return json_response(public_view(row))


async def rotate_key(request: Request) -> Response:
    gateway = admin_gateway(request)
    key_id = _key_id(request, gateway)
    row, secret = gateway.governor.keys.rotate(key_id)
    await audit_admin_action(gateway, "keys.rotate", key_id, {"prefix": row.prefix})
    return json_response({**public_view(row), "key": secret})


async def usage(request: Request) -> Response:
    gateway = admin_gateway(request)
    params = request.query_params
    group_by = [g for g in params.get("group_by", "model").split(",") if g]
    unknown = [g for g in group_by if g not in GROUPS]
    if unknown:
        raise InvalidRequest(
            f"Unknown group_by {unknown}; use any of {', '.join(GROUPS)}.", param="group_by"
        )
    since, until = _seconds(params.get("since"), "since"), _seconds(params.get("until"), "until")
    rows = await asyncio.to_thread(gateway.store.usage_rows, since, until)
    targets = {t.model_id: t for t in gateway.router.targets}
    reference_name = gateway.config.governance.reference_model
    reference = targets.get(reference_name) if reference_name else None
    report = usage_report(rows, group_by, targets, reference)
    if params.get("format") == "csv":
        return Response(to_csv(report), media_type="text/csv")
    return json_response({"object": "list", "group_by": group_by, "data": report})


def _seconds(value: str | None, name: str) -> float | None:
    """A Unix time in seconds from the query string; anything else is a 400 naming it."""
    if value is None:
        return None
    try:
        parsed = float(value)
    except ValueError:
        raise InvalidRequest(
            f"`{name}` must be a Unix time in seconds, not `{value[:40]}`.", param=name
        ) from None
    if parsed != parsed or parsed in (float("inf"), float("-inf")):
        raise InvalidRequest(f"`{name}` must be a finite number.", param=name)
    return parsed


async def models(request: Request) -> Response:
    gateway = admin_gateway(request)
    return json_response(
        {"object": "list", "data": [registry_entry(t) for t in gateway.router.targets]}
    )


def registry_entry(target: Any) -> dict[str, Any]:
    return {
        "id": target.model_id,
        "provider": target.provider_name,
        "kind": target.provider_kind,
        "self_hosted": target.self_hosted,
        "licence": target.licence,
        "licence_url": target.licence_url,
        "licence_terms": list(target.licence_terms),
        "context_window": target.context_window,
        "modalities": list(target.modalities),
        "input_price_per_mtok": target.input_price_per_mtok,
        "output_price_per_mtok": target.output_price_per_mtok,
        "cost_per_hour": target.cost_per_hour,
        "region": target.region,
        "owner": target.owned_by,
        "aliases": list(target.aliases),
    }


async def list_templates(request: Request) -> Response:
    """Every stored version of every template; `latest` marks the one a request gets when it
    names no `prompt_version`."""
    book = template_stage(admin_gateway(request).pipeline.stages).book
    await asyncio.to_thread(book.reload)
    rows = book.listing()
    latest = {row.name: row.version for row in rows}  # sorted by version, so the last wins
    data = [{**row.as_dict(), "latest": latest[row.name] == row.version} for row in rows]
    return json_response({"object": "list", "data": data})


async def put_template(request: Request) -> Response:
    """A new version of a template (201), audited in the same transaction; the latest's
    content again changes nothing (200)."""
    gateway = admin_gateway(request)
    name: str = request.path_params["name"]
    if not TEMPLATE_NAME.match(name):
        raise InvalidRequest(
            f"`{name[:80]}` is not a template name (1-64 letters, digits or `_.:-`).",
            param="name",
        )
    template = decode_body(await read_body(request, 256 * 1024), TemplateConfig)
    for path, message in template_problems(template):
        raise InvalidRequest(f"{'.'.join(map(str, path))}: {message}", param=str(path[0]))
    book = template_stage(gateway.pipeline.stages).book
    try:
        row, created = await asyncio.to_thread(book.put, name, template)
    except VersionConflict as conflict:
        raise InvalidRequest(str(conflict), param="version", code="version_taken") from None
    return json_response({**row.as_dict(), "latest": True}, status=201 if created else 200)


async def audit_verify(request: Request) -> Response:
    gateway = admin_gateway(request)
    gateway.ledger.flush()
    report = verify_chain(await asyncio.to_thread(gateway.store.read_audit))
    return json_response({"entries": report.entries, "ok": report.ok, "problem": report.problem})


ROUTES = [
    Route("/admin/keys", create_key, methods=["POST"]),
    Route("/admin/keys", list_keys, methods=["GET"]),
    Route("/admin/keys/{key_id}", get_key, methods=["GET"]),
    Route("/admin/keys/{key_id}", update_key, methods=["PATCH"]),
    Route("/admin/keys/{key_id}", revoke_key, methods=["DELETE"]),
    Route("/admin/keys/{key_id}/rotate", rotate_key, methods=["POST"]),
    Route("/admin/usage", usage, methods=["GET"]),
    Route("/admin/models", models, methods=["GET"]),
    Route("/admin/templates", list_templates, methods=["GET"]),
    Route("/admin/templates/{name}", put_template, methods=["PUT"]),
    Route("/admin/audit/verify", audit_verify, methods=["GET"]),
]
