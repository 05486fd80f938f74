"""The overview's numbers over a real SQLite ledger written through the store's own ledger
path: the day and month windows (hourly rollups) agree with the exact hour window, rows are
counted once however often the page loads, and later rows are added on the next load."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from switchgear.console.accounts import ConsoleAccounts
from switchgear.console.overview_data import build_overview
from switchgear.store.base import UsageRecord
from switchgear.store.postgres import open_postgres_store
from switchgear.store.sqlite import open_sqlite_store

GUARD = json.dumps([{"action": "redact", "entities": {"EMAIL": 1}, "guard": "pii"}])


def _record(n: int, created: float, model: str, latency: float, ok: bool = True) -> UsageRecord:
    return UsageRecord(
        request_id=f"req-{n}",
        created_at=created,
        endpoint="chat.completions",
        model=model,
        served_model=model,
        provider="local",
        stream=False,
        status="ok" if ok else "error",
        http_status=200 if ok else 500,
        error_code=None,
        prompt_tokens=10,
        completion_tokens=5,
        latency_ms=latency,
        ttft_ms=latency / 2,
        user=None,
        team="blue" if n % 2 else "red",
        cost=0.01,
        guard=GUARD if n % 3 == 0 else None,
    )


def test_rollup_windows_agree_with_raw_rows_and_count_each_row_once(tmp_path: Path) -> None:
    store = open_sqlite_store(tmp_path / "switchgear.db")
    now = time.time()
    # 100 requests in the last 50 minutes: 90 fast (100 ms) on smol, 10 slow (2 s) on big.
    records = [_record(n, now - 30 * n, "smol", 100.0) for n in range(90)]
    records += [_record(90 + n, now - 30 * n - 5, "big", 2000.0, ok=n > 0) for n in range(10)]
    store.write_ledger(records)
    hour = build_overview(store, "hour", "model", {}, None, now=now)
    for _ in range(2):  # a second load rolls nothing twice
        day = build_overview(store, "day", "model", {}, None, now=now)
        totals = [{k: round(v, 9) for k, v in view.totals.items()} for view in (day, hour)]
        assert totals[0] == totals[1] == {"requests": 100, "errors": 1, "tokens": 1500, "cost": 1}
    rows = {r["name"]: r for r in day.rows}
    assert rows["smol"]["requests"] == 90 and rows["big"]["errors"] == 1
    # The histogram's estimates land in the right bins: 100 ms and 2 s.
    assert 75 <= rows["smol"]["p50_ms"] <= 100 and 1500 <= rows["big"]["p95_ms"] <= 2000
    assert [r["p50_ms"] for r in hour.rows if r["name"] == "smol"] == [100.0]
    assert day.guard_events == hour.guard_events == [("pii", "redact", 34)]
    month = build_overview(store, "month", "team", {}, None, now=now)
    assert {r["name"]: r["requests"] for r in month.rows} == {"blue": 50, "red": 50}
    assert sum(v or 0 for v in month.series["requests"]) == 100

    store.write_ledger([_record(500, now - 1, "smol", 100.0)])  # after the last roll
    later = build_overview(store, "day", "model", {}, None, now=now)
    assert later.totals["requests"] == 101
    assert "req-500" in [r["request_id"] for r in later.recent[:2]]
    store.close()


def test_rollups_and_console_accounts_work_on_postgres(postgres_uri: str) -> None:
    schema = f"console_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_uri, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    store = open_postgres_store(make_conninfo(postgres_uri, options=f"-c search_path={schema}"))
    now = time.time()
    store.write_ledger([_record(n, now - 30 * n, "smol", 100.0) for n in range(50)])
    for _ in range(2):
        day = build_overview(store, "day", "team", {}, None, now=now)
        assert {r["name"]: r["requests"] for r in day.rows} == {"blue": 25, "red": 25}
        assert day.guard_events == [("pii", "redact", 17)]
    accounts = ConsoleAccounts(store)
    assert accounts.add_user("ana", "ana-password-1", "viewer") is True
    assert accounts.check_password("ana", "ana-password-1") == "viewer"
    assert accounts.check_password("ana", "not-her-password") is None
    session_id, _ = accounts.open_session("ana", "viewer")
    found = accounts.session(session_id)
    assert found is not None and found.role == "viewer"
    store.close()
