"""`switchgear ingest | search | collections | sync`: the CLI side of private knowledge.

These open the knowledge index directly (the same SQLite file or Postgres database the gateway
uses), so they work with or without a running gateway.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from switchgear.config import Config

if TYPE_CHECKING:
    from switchgear.knowledge.service import Knowledge


def add_commands(commands: Any) -> None:
    ingest = commands.add_parser("ingest", help="index files or folders into a collection")
    ingest.add_argument(
        "paths", nargs="+", help="files and folders (PDF, DOCX, HTML, MD, TXT, CSV)"
    )
    ingest.add_argument("--collection", required=True, help="the collection to index into")
    ingest.add_argument(
        "--acl",
        action="append",
        help="who may read these documents: public, team:NAME, app:NAME, user:NAME "
        "(repeat or comma-separate; default: the collection's ACL)",
    )
    ingest.add_argument(
        "--keep-missing",
        action="store_true",
        help="do not remove indexed files that are gone from the ingested folders",
    )
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    ingest.add_argument("--config", dest="sub_config", help="YAML config file")

    search = commands.add_parser("search", help="retrieve passages from a collection")
    search.add_argument("query", help="what to look for")
    search.add_argument("--collection", required=True, help="the collection to search")
    search.add_argument("--top-k", type=int, help="how many passages (default: the config's)")
    search.add_argument(
        "--mode", choices=["hybrid", "bm25", "vector"], help="ranking (default: hybrid)"
    )
    search.add_argument("--team", help="search as a reader of this team (default: public only)")
    search.add_argument("--app", help="search as a reader of this app")
    search.add_argument("--user", help="search as this user (documents shared with user:NAME)")
    search.add_argument("--config", dest="sub_config", help="YAML config file")

    collections = commands.add_parser("collections", help="list collections and their size")
    collections.add_argument("--config", dest="sub_config", help="YAML config file")

    sync = commands.add_parser(
        "sync", help="sync knowledge connectors now (none named: show each one's status)"
    )
    sync.add_argument("names", nargs="*", help="connectors from knowledge.connectors")
    sync.add_argument("--json", action="store_true", help="print the reports as JSON")
    sync.add_argument("--config", dest="sub_config", help="YAML config file")


def run_knowledge(config: Config, args: argparse.Namespace) -> int:
    from switchgear.knowledge.service import Knowledge
    from switchgear.schema.errors import GatewayError

    try:
        knowledge = Knowledge.open(config.knowledge, config.resolved_data_dir())
    except ValueError as error:
        print(f"switchgear: {error}", file=sys.stderr)
        return 2
    try:
        if args.command == "ingest":
            return _ingest(knowledge, args)
        if args.command == "search":
            return _search(knowledge, args)
        if args.command == "sync":
            from switchgear.knowledge.connectors.cli import run_sync

            return run_sync(knowledge, config.resolved_data_dir(), args.names, args.json)
        for c in knowledge.collections():
            print(f"{c.name:<24} {c.documents:>6} documents {c.chunks:>8} chunks  {c.description}")
        return 0
    except GatewayError as error:
        print(f"switchgear: {error.message}", file=sys.stderr)
        return 2
    finally:
        knowledge.close()


def _ingest(knowledge: Knowledge, args: argparse.Namespace) -> int:
    from switchgear.knowledge.progress import ProgressBar

    acl = [e for entry in args.acl or [] for e in entry.split(",") if e.strip()] or None
    report = knowledge.ingest(
        args.paths,
        args.collection,
        acl=acl,
        remove_missing=not args.keep_missing,
        progress=None if args.json else ProgressBar(),
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for failed in report.failed:
            print(f"  {failed.source}: {failed.error}", file=sys.stderr)
        print(report.summary())
    return 0 if report.ok else 1


def _search(knowledge: Knowledge, args: argparse.Namespace) -> int:
    from switchgear.knowledge.acl import Reader

    reader = Reader(user=args.user, team=args.team, app=args.app)
    passages = knowledge.search(
        args.query, args.collection, reader, top_k=args.top_k, mode=args.mode
    )
    for n, p in enumerate(passages, start=1):
        where = ", ".join(x for x in (p.source, f"p. {p.page}" if p.page else "", p.section) if x)
        print(f"[{n}] {p.score:.3f} {where}\n    {p.text[:200].replace(chr(10), ' ')}")
    if not passages:
        print("(no passage this reader may see matches)")
    return 0
