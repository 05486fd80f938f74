"""The usage ledger: rows written off the request path, none lost on a clean shutdown."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import httpx

from switchgear.ledger.writer import LedgerWriter
from switchgear.store.base import UsageRecord
from switchgear.store.sqlite import open_sqlite_store
from tests.conftest import ledger_rows
from tests.gateway_process import GatewayProcess


def record(n: int) -> UsageRecord:
    return UsageRecord(
        request_id=f"r{n}",
        created_at=time.time(),
        endpoint="chat.completions",
        model="m",
        served_model="m",
        provider="local",
        stream=False,
        status="ok",
        http_status=200,
        error_code=None,
        prompt_tokens=n,
        completion_tokens=1,
        latency_ms=1.0,
        ttft_ms=0.5,
        user=None,
    )


def test_close_drains_every_queued_record(tmp_path: Path) -> None:
    store = open_sqlite_store(tmp_path / "db.sqlite")
    writer = LedgerWriter(store)
    for n in range(2000):
        writer.record(record(n))
    writer.close()
    assert len(store.read_usage(limit=5000)) == 2000
    summary = store.summarize_usage()
    assert [(r.model, r.requests, r.prompt_tokens) for r in summary] == [
        ("m", 2000, sum(range(2000)))
    ]
    store.close()


def test_the_store_uses_wal_and_reopens_with_the_same_schema(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = open_sqlite_store(path)
    store.write_ledger([record(1)])
    store.close()
    reopened = open_sqlite_store(path)
    assert [r.request_id for r in reopened.read_usage()] == ["r1"]
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    reopened.close()


def test_a_clean_shutdown_loses_no_answered_request(tmp_path: Path) -> None:
    process = GatewayProcess(tmp_path / "gw")
    answered = []
    with httpx.Client(base_url=process.base_url, timeout=60) as client:
        for i in range(6):
            body = {
                "model": "default",
                "messages": [{"role": "user", "content": f"hi {i}"}],
                "max_tokens": 1,
            }
            response = client.post("/v1/chat/completions", json=body)
            assert response.status_code == 200
            answered.append(response.headers["x-request-id"])
        failed = client.post("/v1/chat/completions", json={"model": "nope", "messages": []})
        assert failed.status_code == 400
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells the truth.
    assert process.stop() in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in process.log_path.read_text()
    rows = {r["request_id"]: r for r in ledger_rows(process.db_path)}
    assert set(answered) <= set(rows)
    assert all(rows[r]["status"] == "ok" for r in answered)
    assert len(rows) == 7
