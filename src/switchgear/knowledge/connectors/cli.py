"""`switchgear sync [NAME…]`: run connectors from the command line, or show their status.

It runs in this process against the same database as the gateway, so it works with or without
a gateway running; one the gateway runs at the same moment is not prevented (both end in the
same state, since each document's write is atomic)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from switchgear.knowledge.connectors.hub import ConnectorHub, UnknownConnector
from switchgear.knowledge.connectors.state import SyncReport

if TYPE_CHECKING:
    from switchgear.knowledge.service import Knowledge


def run_sync(knowledge: Knowledge, data_dir: Path, names: Sequence[str], as_json: bool) -> int:
    """0: all synced; 1: a source or a document failed; 2: no such connector."""
    hub = ConnectorHub(lambda: knowledge, knowledge.config.connectors, data_dir)
    try:
        if not names:
            for status in hub.statuses():
                print(_status_line(status))
            return 0
        failed = False
        for name in names:
            try:
                report = hub.sync(name)
            except UnknownConnector:
                print(f"switchgear: no connector `{name}` in knowledge.connectors", file=sys.stderr)
                return 2
            failed = failed or report.error is not None or report.counts["failed"] > 0
            print(json.dumps(report.to_dict(), indent=2) if as_json else _summary(report))
        return 1 if failed else 0
    finally:
        hub.close()


def _summary(report: SyncReport) -> str:
    for outcome in report.files:
        if outcome.status == "failed":
            print(f"  {outcome.source}: {outcome.error}", file=sys.stderr)
    counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in report.counts.items() if n)
    done = report.error or counts or "nothing to do"
    return f"{report.connector}: {done}; {report.chunks_embedded} chunks embedded"


def _status_line(status: dict[str, Any]) -> str:
    last = status["last_run"]
    if last is None:
        shown = "never synced"
    else:
        shown = last["error"] or (
            f"{last['added']} added, {last['updated']} updated, {last['acl_updated']} ACL "
            f"updated, {last['removed']} removed, {last['failed']} failed"
        )
    return f"{status['name']:<20} {status['type']:<11} {status['collection']:<16} {shown}"
