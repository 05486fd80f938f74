"""What the playground shows beside an answer, from what the gateway itself recorded: the
ledger's row for the request (target, tokens, cost, guard decisions) and the stand-ins the
provider received in place of personal values."""

from __future__ import annotations

import json
import re
from typing import Any

from switchgear.store.sql import SqlStore

# A pseudonym as guards/transform.py writes it: `<EMAIL_ADDRESS_1>`.
STAND_IN = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
_LEDGER_COLUMNS = (
    "target", "served_model", "route", "status", "http_status", "error_code", "prompt_tokens",
    "completion_tokens", "cost", "latency_ms", "ttft_ms", "guard",
)  # fmt: skip


def ledger_row(store: SqlStore, request_id: str) -> dict[str, Any] | None:
    def run(cursor: Any) -> Any:
        cursor.execute(
            store.sql(f"SELECT {', '.join(_LEDGER_COLUMNS)} FROM usage WHERE request_id = ?"),
            (request_id,),
        )
        return cursor.fetchone()

    row = store.transaction(run)
    if row is None:
        return None
    found = dict(zip(_LEDGER_COLUMNS, row, strict=True))
    found["guard"] = json.loads(found["guard"]) if found["guard"] else []
    return found


def sent_stand_ins(store: SqlStore, request_id: str) -> list[str] | None:
    """The stand-ins in the request as the provider received it, where the route keeps its
    requests (`retention: {store: full}`); None where it keeps none."""

    def run(cursor: Any) -> Any:
        cursor.execute(
            store.sql("SELECT request FROM stored_content WHERE request_id = ?"), (request_id,)
        )
        return cursor.fetchone()

    row = store.transaction(run)
    if row is None:
        return None
    return list(dict.fromkeys(STAND_IN.findall(str(row[0]))))


def pseudonymised_types(decisions: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """The entity types a guard replaced by stand-ins, with how often: what can be said of
    the stand-ins of a route that keeps no request text."""
    found: list[tuple[str, int]] = []
    for decision in decisions:
        if decision.get("action") == "pseudonymize":
            found += [(str(k), int(v)) for k, v in (decision.get("entities") or {}).items()]
    return found


def facts(store: SqlStore, request_id: str | None) -> dict[str, Any]:
    """The ledger's row and the stand-ins, for the facts panel (after the ledger is flushed)."""
    if not request_id:
        return {"ledger": None, "stand_ins": None, "pseudonymised": []}
    ledger = ledger_row(store, request_id)
    decisions = ledger["guard"] if ledger else []
    return {
        "ledger": ledger,
        "stand_ins": sent_stand_ins(store, request_id),
        "pseudonymised": pseudonymised_types(decisions),
    }
