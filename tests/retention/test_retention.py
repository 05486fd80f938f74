"""Each route's retention policy, end to end: a real gateway process writing to SQLite and to
Postgres, a fake OpenAI upstream over loopback, and what the database holds afterwards."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest

from switchgear.store import open_store
from switchgear.store.audit_chain import verify_chain
from switchgear.store.sql import SqlStore
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess

ADMIN = "sg-admin-key-for-retention-tests"
USER = "player-42"
QUESTION = "Where did I leave the lantern?"
CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: ext, provider: api, upstream_model: gpt-4o-mini, input_price_per_mtok: 1000000}}
ledger: {{user: raw}}
routes:
  meta: {{targets: [ext]}}
  hashed: {{targets: [ext], retention: {{store: hashed_user}}}}
  anonymous: {{targets: [ext], retention: {{store: none, expire_days: 30}}}}
  recorded: {{targets: [ext], retention: {{store: full, expire_days: 7}}}}
"""
ROUTES = ["meta", "hashed", "anonymous", "recorded"]


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with run_fake(create_openai_fake(FakeBehaviour(api_key="test-key"))) as url:
        yield url


def database_url(backend: str, request: pytest.FixtureRequest) -> str | None:
    """None for SQLite in the data directory; else a URL of an empty database on the test
    Postgres server."""
    if backend == "sqlite":
        return None
    server: str = request.getfixturevalue("postgres_uri")
    name = f"retention_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return urlsplit(server)._replace(path=f"/{name}").geturl()


def rows(store: SqlStore, query: str) -> list[tuple[Any, ...]]:
    def run(cursor: Any) -> list[tuple[Any, ...]]:
        cursor.execute(query)
        return [tuple(r) for r in cursor.fetchall()]

    return store.transaction(run)  # type: ignore[no-any-return]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_each_mode_keeps_what_it_says(
    backend: str, upstream: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = database_url(backend, request)
    config = tmp_path / "switchgear.yaml"
    config.write_text(CONFIG.format(url=upstream))
    env = {"FAKE_KEY": "test-key", "SWITCHGEAR_ADMIN_KEY": ADMIN}
    if url is not None:
        env["SWITCHGEAR_DATABASE_URL"] = url
    process = GatewayProcess(tmp_path, config, env=env)
    try:
        key = process.admin(
            ADMIN, "POST", "/keys", json={"name": "n", "team": "guild", "app": "rpg"}
        )
        secret = key.json()["key"]
        ids = {}
        for route in ROUTES:
            body = {
                "model": route,
                "user": USER,
                "messages": [{"role": "user", "content": QUESTION}],
                "stream": route == "recorded",  # the answer kept is the one streamed out
            }
            answer = httpx.post(
                f"{process.base_url}/v1/chat/completions",
                json=body,
                headers={"authorization": f"Bearer {secret}"},
                timeout=60,
            )
            assert answer.status_code == 200, answer.text
            ids[route] = answer.headers["x-request-id"]
        described = process.admin(ADMIN, "GET", "/routes").json()["routes"]
    finally:
        process.stop()
    assert {r: described[r]["retention"] for r in ROUTES} == {
        "meta": {"store": "metadata", "expire_days": None},
        "hashed": {"store": "hashed_user", "expire_days": None},
        "anonymous": {"store": "none", "expire_days": 30},
        "recorded": {"store": "full", "expire_days": 7},
    }

    store = open_store(url, tmp_path)
    assert store.dialect.name == backend
    try:
        usage = {r.request_id: r for r in store.read_usage(limit=100)}
        content = rows(store, "SELECT request_id, created_at, expires_at, route, request, answer "
                              "FROM stored_content")  # fmt: skip
        audit = store.read_audit()
        everything = "\n".join(repr(r) for r in audit) + repr(usage)
    finally:
        store.close()
    by_route = {route: usage[ids[route]] for route in ROUTES}
    assert by_route["meta"].user == USER  # `ledger.user: raw`, as today
    hashed = by_route["hashed"].user
    assert hashed is not None and hashed.startswith("u-") and USER not in hashed
    assert by_route["anonymous"].user is None
    for record in by_route.values():  # what limits, budgets and cost need, in every mode
        assert (record.key_id, record.team, record.app) == (key.json()["id"], "guild", "rpg")
        assert record.prompt_tokens > 0 and record.cost > 0

    ((request_id, created_at, expires_at, route, sent, answered),) = content
    assert (request_id, route) == (ids["recorded"], "recorded")
    assert expires_at == pytest.approx(created_at + 7 * 86400)
    assert json.loads(sent)["messages"] == [{"role": "user", "content": QUESTION}]
    assert json.loads(answered)["choices"][0]["text"] == f"fake-openai says: {QUESTION}"
    # The question's text is kept for the `full` route only, never in the ledger or audit log.
    assert QUESTION not in everything
    # The audit log keeps the user as the route's usage row does (raw: `ledger.user: raw`).
    audited_users = [json.loads(a.detail).get("user") for a in audit if a.kind == "request"]
    assert audited_users == [USER, hashed, None, USER]

    (policies,) = [a for a in audit if a.action == "retention.policies"]
    assert json.loads(policies.detail)["recorded"] == {"store": "full", "expire_days": 7}
    assert verify_chain(audit).ok
