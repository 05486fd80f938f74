"""`switchgear keys | audit verify | purge | models --licences`: the CLI side of governance."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import httpx

from switchgear.config import Config


def add_commands(commands: Any, default_url: str) -> None:
    keys = commands.add_parser("keys", help="manage virtual API keys (through the admin API)")
    keys.add_argument(
        "action", choices=["create", "list", "update", "revoke", "rotate"], help="what to do"
    )
    keys.add_argument("key_id", nargs="?", help="the key, for update/revoke/rotate")
    keys.add_argument(
        "--url",
        default=os.environ.get("SWITCHGEAR_URL", default_url),
        help="the gateway, with or without /v1 (default: $SWITCHGEAR_URL)",
    )
    keys.add_argument(
        "--admin-key",
        default=os.environ.get("SWITCHGEAR_ADMIN_KEY"),
        help="the admin key (default: $SWITCHGEAR_ADMIN_KEY)",
    )
    for name, what in (
        ("name", "a label for the key"),
        ("team", "the team it belongs to (limits, budgets and documents by team)"),
        ("app", "the application it belongs to"),
        ("guard-policy", "the guard policy its requests get (guards.policies)"),
    ):
        keys.add_argument(f"--{name}", help=what)
    keys.add_argument("--models", help="comma-separated models/aliases the key may use")
    keys.add_argument("--tools", help="comma-separated MCP tool patterns it may call")
    keys.add_argument("--tags", help="comma-separated tags")
    keys.add_argument("--rpm", type=int, help="requests per minute")
    keys.add_argument("--tpm", type=int, help="tokens per minute")
    keys.add_argument("--concurrency", type=int, help="requests at once")
    keys.add_argument("--daily-budget", type=float, help="spend per day, in the cost unit")
    keys.add_argument("--monthly-budget", type=float, help="spend per month, in the cost unit")
    keys.add_argument("--expires-at", type=float, help="unix time")
    keys.add_argument("--config", dest="sub_config", help="YAML config file")

    audit = commands.add_parser("audit", help="check the audit log's hash chain")
    audit.add_argument("action", choices=["verify"], help="verify: recompute the hash chain")
    audit.add_argument("--config", dest="sub_config", help="YAML config file")

    purge = commands.add_parser(
        "purge",
        help="delete stored text past its expiry and usage rows past their route's expire_days",
    )
    purge.add_argument("--config", dest="sub_config", help="YAML config file")
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")


def run_keys(args: argparse.Namespace) -> int:
    base = args.url.rstrip("/").removesuffix("/v1") + "/admin/keys"
    headers = {"authorization": f"Bearer {args.admin_key}"} if args.admin_key else {}
    body: dict[str, Any] = {
        k: v
        for k, v in {
            "name": args.name,
            "team": args.team,
            "app": args.app,
            "guard_policy": args.guard_policy,
            "expires_at": args.expires_at,
            "allowed_models": args.models.split(",") if args.models else None,
            "tags": args.tags.split(",") if args.tags else None,
            "allowed_tools": args.tools.split(",") if args.tools else None,
            "limits": {
                k: v
                for k, v in (
                    ("rpm", args.rpm),
                    ("tpm", args.tpm),
                    ("concurrency", args.concurrency),
                )
                if v is not None
            }
            or None,
            "budgets": {
                k: v
                for k, v in (("daily", args.daily_budget), ("monthly", args.monthly_budget))
                if v is not None
            }
            or None,
        }.items()
        if v is not None
    }
    if args.action in ("update", "revoke", "rotate") and not args.key_id:
        print(f"switchgear keys {args.action}: which key? (give its id)", file=sys.stderr)
        return 2
    calls = {
        "create": ("POST", base, body),
        "list": ("GET", base, None),
        "update": ("PATCH", f"{base}/{args.key_id}", body),
        "revoke": ("DELETE", f"{base}/{args.key_id}", None),
        "rotate": ("POST", f"{base}/{args.key_id}/rotate", None),
    }
    method, url, payload = calls[args.action]
    try:
        response = httpx.request(method, url, json=payload, headers=headers, timeout=30)
    except httpx.HTTPError as error:
        print(f"switchgear keys: cannot reach the gateway at {url}: {error}", file=sys.stderr)
        return 1
    if response.status_code >= 400:
        print(f"error {response.status_code}: {response.text}", file=sys.stderr)
        return 1
    print(json.dumps(response.json(), indent=2))
    if "key" in response.json():
        print("Store the key now: it is not shown again.", file=sys.stderr)
    return 0


def run_audit_verify(config: Config) -> int:
    from switchgear.store import open_store
    from switchgear.store.audit_chain import verify_chain

    store = open_store(config.resolved_database_url(), config.resolved_data_dir())
    report = verify_chain(store.read_audit())
    store.close()
    if report.ok:
        print(f"audit log intact: {report.entries} entries, hash chain verified")
        return 0
    print(f"audit log TAMPERED: {report.problem}", file=sys.stderr)
    return 1


def run_purge(config: Config, dry_run: bool) -> int:
    """Applies the routes' retention policies to the store (audited unless `dry_run`)."""
    from switchgear.ledger.purge import format_counts, purge
    from switchgear.store import open_store

    store = open_store(config.resolved_database_url(), config.resolved_data_dir())
    try:
        counts = purge(store, config.routes, dry_run)
    finally:
        store.close()
    print(format_counts(counts, dry_run))
    return 0


def print_licences(config: Config) -> int:
    from switchgear.api.admin_routes import registry_entry
    from switchgear.gateway import Gateway

    gateway = Gateway(config)
    rows = [registry_entry(t) for t in gateway.router.targets]
    gateway.ledger.close()
    gateway.store.close()
    print(f"{'MODEL':<26} {'HOSTING':<12} {'LICENCE':<28} {'REGION':<8} TERMS")
    for r in rows:
        hosting = "self-hosted" if r["self_hosted"] else "external"
        terms = "; ".join(r["licence_terms"]) or "-"
        print(f"{r['id']:<26} {hosting:<12} {r['licence']:<28} {r['region']:<8} {terms}")
    return 0


def print_usage_report(
    config: Config, group_by: list[str], since_hours: float | None, output: str
) -> int:
    import time

    from switchgear.gateway import Gateway
    from switchgear.governance.reports import GROUPS, to_csv, usage_report

    unknown = [g for g in group_by if g not in GROUPS]
    if unknown:
        print(f"switchgear usage: unknown --by {unknown}; use {', '.join(GROUPS)}", file=sys.stderr)
        return 2
    gateway = Gateway(config)
    since = time.time() - since_hours * 3600 if since_hours else None
    rows = gateway.store.usage_rows(since, None)
    targets = {t.model_id: t for t in gateway.router.targets}
    reference = targets.get(config.governance.reference_model or "")
    report = usage_report(rows, group_by, targets, reference)
    gateway.ledger.close()
    gateway.store.close()
    if output == "json":
        print(json.dumps(report, indent=2))
    elif output == "csv" or not report:
        print(to_csv(report) or "(no requests in that period)", end="")
    else:
        columns = list(report[0])
        cells = [["-" if row[c] is None else str(row[c]) for c in columns] for row in report]
        widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
        print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)))
        for r in cells:
            print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
    return 0
