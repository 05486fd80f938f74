"""The same store tests on SQLite and on a real Postgres server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from switchgear.store.audit_chain import verify_chain
from switchgear.store.base import AdminEvent, AttemptRecord, KeyRow, UsageRecord
from switchgear.store.postgres import open_postgres_store
from switchgear.store.sql import SqlStore
from switchgear.store.sqlite import open_sqlite_store
from tests.services import postgres_server


@pytest.fixture(scope="module")
def postgres_dsn() -> Iterator[str]:
    with postgres_server() as dsn:
        yield dsn


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        opened = open_sqlite_store(tmp_path / "db.sqlite")
    else:
        dsn = request.getfixturevalue("postgres_dsn")
        opened = open_postgres_store(dsn)
        with opened._db.cursor() as cursor:  # a clean schema for each test
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        opened._db.commit()
        opened.close()
        opened = open_postgres_store(dsn)
    yield opened
    opened.close()


def usage(n: int, **extra: object) -> UsageRecord:
    fields: dict[str, object] = dict(
        request_id=f"r{n}",
        created_at=1_800_000_000.0 + n,
        endpoint="chat.completions",
        model="chat",
        served_model="m",
        provider="local",
        stream=False,
        status="ok",
        http_status=200,
        error_code=None,
        prompt_tokens=10,
        completion_tokens=n,
        latency_ms=1.5,
        ttft_ms=0.5,
        user=None,
        route="chat",
        target="m@local",
        key_id="key_a",
        team="research",
        app="bot",
        cost=0.25,
        attempts=(
            AttemptRecord("x@p", "error", 502, "upstream_server_error", 3.0),
            AttemptRecord("m@local", "ok", 200, None, 1.0),
        ),
    )
    fields.update(extra)
    return UsageRecord(**fields)  # type: ignore[arg-type]


def test_usage_attempts_and_spend_round_trip(store: SqlStore) -> None:
    store.write_ledger([usage(1), usage(2, team="other")])
    rows = {r.request_id: r for r in store.read_usage()}
    assert rows["r1"] == usage(1, attempts=())
    assert [a.target for a in store.read_attempts("r1")] == ["x@p", "m@local"]
    assert store.spend_since("team", "research", 0) == pytest.approx(0.25)
    assert store.spend_since("key_id", "key_a", 0) == pytest.approx(0.5)
    summary = store.summarize_usage()
    assert [(s.model, s.requests, s.completion_tokens) for s in summary] == [("m", 2, 3)]


def test_keys_round_trip(store: SqlStore) -> None:
    key = KeyRow(
        id="key_1",
        prefix="sg-abcdefg",
        secret_hash="f" * 64,
        name="bot",
        team="t",
        app="a",
        allowed_models=("chat",),
        guard_policy=None,
        tags=("external-customers",),
        expires_at=None,
        metadata={"owner": "x"},
        limits={"rpm": 5},
        budgets={"daily": 1.0},
        created_at=time.time(),
        updated_at=time.time(),
    )
    store.save_key(key)
    store.save_key(key)  # saving again replaces, never duplicates
    assert store.list_keys() == [key]


def test_audit_chain_verifies_and_detects_tampering(store: SqlStore) -> None:
    store.write_ledger([usage(1), AdminEvent(1.0, "admin", "keys.create", "key_1", {"a": 1})])
    store.write_ledger([usage(2), usage(3)])
    report = verify_chain(store.read_audit())
    assert (report.ok, report.entries) == (True, 4)
    cursor = store._db.cursor()
    placeholder = store.dialect.placeholder

    def tamper(sql: str) -> str | None:
        cursor.execute(sql.replace("?", placeholder))
        store._db.commit()
        return verify_chain(store.read_audit()).problem

    assert tamper("UPDATE audit SET detail = '{\"cost\":0}' WHERE seq = 2") == (
        "entry 2 was modified"
    )
    assert tamper("DELETE FROM audit WHERE seq = 2") == "entry 2 is missing (found 3)"


def test_audit_chain_detects_reordering(store: SqlStore) -> None:
    store.write_ledger([usage(1), usage(2), usage(3)])
    cursor = store._db.cursor()
    cursor.execute("UPDATE audit SET seq = 100 WHERE seq = 2")
    cursor.execute("UPDATE audit SET seq = 2 WHERE seq = 3")
    cursor.execute("UPDATE audit SET seq = 3 WHERE seq = 100")
    store._db.commit()
    assert verify_chain(store.read_audit()).problem == "entry 2 does not follow entry 1"
