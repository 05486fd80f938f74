"""`switchgear serve | chat | models | routes | usage | keys | audit | purge | ingest | search |
collections | doctor | completion`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from switchgear.config import Config, ConfigError, load_config

DEFAULT_URL = "http://127.0.0.1:8080"
URL_HELP = "the gateway, with or without /v1 (default: $SWITCHGEAR_URL, else " + DEFAULT_URL + ")"


def gateway_url(url: str) -> str:
    """The gateway's base URL, however it was written (`…:8080`, `…:8080/`, `…:8080/v1`)."""
    return url.rstrip("/").removesuffix("/v1")


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("switchgear")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="switchgear", description=__doc__)
    parser.add_argument("--version", action="version", version=f"switchgear {version()}")
    parser.add_argument(
        "--config",
        default=os.environ.get("SWITCHGEAR_CONFIG"),
        help="YAML config file (default: $SWITCHGEAR_CONFIG, else the embedded model alone)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument("--config", dest="sub_config", help="YAML config file")
    serve.add_argument("--host", help="bind address (default from config: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default from config: 8080)")

    chat = commands.add_parser("chat", help="ask a model, print the streamed answer")
    chat.add_argument("prompt", help="the question")
    chat.add_argument("--model", default="default", help="model or route (default: default)")
    chat.add_argument("--system", help="a system prompt")
    chat.add_argument(
        "--max-tokens", type=int, default=256, help="most tokens to answer with (default: 256)"
    )
    chat.add_argument("--url", default=os.environ.get("SWITCHGEAR_URL", DEFAULT_URL), help=URL_HELP)
    chat.add_argument(
        "--api-key",
        default=os.environ.get("SWITCHGEAR_API_KEY"),
        help="a virtual key, for a gateway that requires one (default: $SWITCHGEAR_API_KEY)",
    )
    chat.add_argument("--config", dest="sub_config", help="YAML config file")
    chat.add_argument(
        "--local",
        action="store_true",
        help="answer in-process with the config's models, without a running gateway",
    )

    models = commands.add_parser("models", help="list the configured models")
    models.add_argument("--config", dest="sub_config", help="YAML config file")
    models.add_argument("--licences", action="store_true", help="the registry: licences, hosting")

    from switchgear.admin_cli import add_commands

    add_commands(commands, DEFAULT_URL)
    from switchgear.knowledge_cli import add_commands as add_knowledge_commands

    add_knowledge_commands(commands)

    routes = commands.add_parser("routes", help="the resolved route table and target health")
    routes.add_argument("--config", dest="sub_config", help="YAML config file")
    routes.add_argument(
        "--url", default=os.environ.get("SWITCHGEAR_URL", DEFAULT_URL), help=URL_HELP
    )

    usage = commands.add_parser("usage", help="summarise the usage ledger")
    usage.add_argument("--config", dest="sub_config", help="YAML config file")
    usage.add_argument("--since-hours", type=float, help="only the last N hours")
    usage.add_argument("--by", help="group by any of key_id,team,app,model,provider,day")
    usage.add_argument(
        "--format", choices=["table", "csv", "json"], default="table", help="output format"
    )

    doctor = commands.add_parser(
        "doctor",
        help="check the config, store, engine, providers and gateway; say what to fix",
        epilog="One line per check, `ok|warn|fail CHECK: FINDING`, with a `fix:` under "
        "each that is not ok. Exits 1 when any check fails (a warning does not).",
    )
    doctor.add_argument("--config", dest="sub_config", metavar="FILE", help="YAML config file")
    doctor.add_argument(
        "--url", default=os.environ.get("SWITCHGEAR_URL", DEFAULT_URL), help=URL_HELP
    )
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")
    from switchgear.completion import add_command as add_completion_command

    add_completion_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "completion":
        from switchgear.completion import completion_script

        print(completion_script(parser, args.shell))
        return 0
    if args.command == "doctor":  # before loading the config: a broken one is a finding
        from switchgear.doctor import run_doctor

        return run_doctor(args.sub_config or args.config, gateway_url(args.url), args.json)
    try:
        config = load_config(getattr(args, "sub_config", None) or args.config)
    except ConfigError as error:
        print(f"switchgear: config error: {error}", file=sys.stderr)
        return 2
    if args.command == "serve":
        return _serve(config, args.host, args.port)
    if args.command == "chat":
        from switchgear.chat_client import run_chat

        return run_chat(
            config,
            gateway_url(args.url),
            args.model,
            args.prompt,
            args.system,
            args.max_tokens,
            args.api_key,
            args.local,
        )
    if args.command == "models":
        if args.licences:
            from switchgear.admin_cli import print_licences

            return print_licences(config)
        return _models(config)
    if args.command == "keys":
        from switchgear.admin_cli import run_keys

        return run_keys(args)
    if args.command == "audit":
        from switchgear.admin_cli import run_audit_verify

        return run_audit_verify(config)
    if args.command == "routes":
        return _routes(config, gateway_url(args.url))
    if args.command == "purge":
        from switchgear.admin_cli import run_purge

        return run_purge(config, args.dry_run)
    if args.command in ("ingest", "search", "collections", "sync"):
        from switchgear.knowledge_cli import run_knowledge

        return run_knowledge(config, args)
    if args.by:
        from switchgear.admin_cli import print_usage_report

        return print_usage_report(config, args.by.split(","), args.since_hours, args.format)
    return _usage(config, args.since_hours)


def _serve(config: Config, host: str | None, port: int | None) -> int:
    import uvicorn

    from switchgear.api.app import create_app
    from switchgear.gateway import Gateway
    from switchgear.logs import configure_logging

    configure_logging(config.server.log_level)
    gateway = Gateway(config)
    bind = host or config.server.host
    if not gateway.governor.keys.enforced and bind not in ("127.0.0.1", "::1", "localhost"):
        print(
            f"switchgear: refusing to serve on {bind} without API keys: set "
            f"{config.governance.admin_key_env} (or create keys) first, or bind 127.0.0.1.",
            file=sys.stderr,
        )
        return 2
    from switchgear.api.http_protocol import protocol_for

    uvicorn.run(
        create_app(gateway, bind),
        host=bind,
        port=config.server.port if port is None else port,
        http=protocol_for(config.server),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    return 0


def _models(config: Config) -> int:
    print(f"{'MODEL':<28} {'PROVIDER':<10} {'CONTEXT':>8}  ALIASES")
    for m in config.models:
        print(f"{m.id:<28} {m.provider:<10} {m.context_window:>8}  {', '.join(m.aliases)}")
    return 0


def _routes(config: Config, url: str) -> int:
    """Live health from a running gateway; otherwise the table as the config resolves it."""
    import httpx

    from switchgear.routing.describe import describe_routes, format_routes

    admin = url.rstrip("/").removesuffix("/v1") + "/admin/routes"
    key = os.environ.get(config.governance.admin_key_env)
    headers = {"authorization": f"Bearer {key}"} if key else {}
    try:
        table = httpx.get(admin, timeout=5, headers=headers).raise_for_status().json()
        live = True
    except httpx.HTTPError:
        from switchgear.gateway import Gateway

        gateway = Gateway(config)
        table, live = describe_routes(gateway.router), False
        gateway.ledger.close()
        gateway.store.close()
    print(format_routes(table, live))
    return 0


def _usage(config: Config, since_hours: float | None) -> int:
    from switchgear.store import open_store

    url = config.resolved_database_url()
    path = config.resolved_data_dir() / "switchgear.db"
    if url is None and not path.exists():
        print(f"No usage recorded yet ({path} does not exist).")
        return 0
    store = open_store(url, config.resolved_data_dir())
    since = time.time() - since_hours * 3600 if since_hours else None
    rows = store.summarize_usage(since)
    store.close()
    header = f"{'MODEL':<24} {'PROVIDER':<9} {'STATUS':<10} {'REQUESTS':>8} {'PROMPT':>9} "
    print(header + f"{'COMPLETION':>10} {'AVG MS':>8} {'AVG TTFT':>8}")
    for r in rows:
        ttft = f"{r.avg_ttft_ms:8.0f}" if r.avg_ttft_ms is not None else f"{'-':>8}"
        print(
            f"{r.model:<24} {r.provider or '-':<9} {r.status:<10} {r.requests:>8} "
            f"{r.prompt_tokens:>9} {r.completion_tokens:>10} {r.avg_latency_ms:>8.0f} {ttft}"
        )
    if not rows:
        print("(no requests in that period)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
