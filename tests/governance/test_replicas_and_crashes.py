"""Two gateways sharing Postgres and Redis; a gateway killed with SIGKILL under load."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from switchgear.store.audit_chain import verify_chain
from switchgear.store.postgres import open_postgres_store
from tests.conftest import ledger_rows
from tests.gateway_process import GatewayProcess
from tests.governance.conftest import ADMIN, ENV, gateway_config
from tests.services import postgres_server, redis_server


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[str, str]]:
    with postgres_server() as dsn, redis_server() as redis_url:
        yield dsn, redis_url


def test_limits_are_exact_across_two_replicas(
    shared: tuple[str, str], upstream_url: str, tmp_path: Path
) -> None:
    dsn, redis_url = shared
    config = tmp_path / "switchgear.yaml"
    config.write_text(gateway_config(upstream_url))
    env = {**ENV, "SWITCHGEAR_DATABASE_URL": dsn, "SWITCHGEAR_REDIS_URL": redis_url}
    first = GatewayProcess(tmp_path / "a", config, env=env)
    second = GatewayProcess(tmp_path / "b", config, env=env)
    try:
        created = httpx.post(
            f"{first.base_url}/admin/keys",
            json={"name": "shared", "limits": {"rpm": 7}},
            headers={"authorization": f"Bearer {ADMIN}"},
        )
        secret = created.json()["key"]
        headers = {"authorization": f"Bearer {secret}"}
        deadline = time.monotonic() + 15  # the other replica learns the key within seconds
        while httpx.get(f"{second.base_url}/v1/models", headers=headers).status_code != 200:
            assert time.monotonic() < deadline, "second replica never saw the new key"
            time.sleep(0.2)
        # That listing counted against the limit too (every kind of request does).
        left = 7 - 1

        async def burst() -> list[int]:
            body = {"model": "gpt-fake", "messages": [{"role": "user", "content": "x"}]}
            async with httpx.AsyncClient(timeout=60) as client:
                calls = [
                    client.post(
                        f"{replica.base_url}/v1/chat/completions", json=body, headers=headers
                    )
                    for _ in range(8)
                    for replica in (first, second)
                ]
                return [r.status_code for r in await asyncio.gather(*calls)]

        codes = asyncio.run(burst())
        assert sorted(codes) == [200] * left + [429] * (16 - left)

        # A budget spent through one replica is spent for the other too (Redis counters).
        budget = httpx.post(
            f"{first.base_url}/admin/keys",
            json={"name": "budget", "budgets": {"daily": 3.0}},
            headers={"authorization": f"Bearer {ADMIN}"},
        ).json()["key"]
        spender = {"authorization": f"Bearer {budget}"}
        while httpx.get(f"{second.base_url}/v1/models", headers=spender).status_code != 200:
            time.sleep(0.2)
        body = {"model": "gpt-fake", "messages": [{"role": "user", "content": "hi"}]}
        spent = httpx.post(f"{first.base_url}/v1/chat/completions", json=body, headers=spender)
        assert spent.status_code == 200
        time.sleep(0.5)  # the spend is added just after the answer
        refused = httpx.post(f"{second.base_url}/v1/chat/completions", json=body, headers=spender)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "budget_exceeded"
    finally:
        first.stop()
        second.stop()
    store = open_postgres_store(dsn)
    rows = store.read_usage(limit=1000)
    served = [r for r in rows if r.status == "ok" and r.key_id and r.endpoint == "chat.completions"]
    listings = [r for r in rows if r.endpoint == "models" and r.status == "ok"]
    chain = verify_chain(store.read_audit())
    store.close()
    assert len(served) == 7, "both replicas wrote to the one shared ledger"
    assert len(listings) >= 2  # the probes above, ledgered like any request
    assert chain.ok, "two writers, one unbroken audit chain"
    assert chain.entries >= 20  # 18 requests and the two keys' creation


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_kill_9_under_load_loses_no_answered_request(
    upstream_url: str, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    config = tmp_path / "switchgear.yaml"
    config.write_text(gateway_config(upstream_url))
    env = dict(ENV)
    if backend == "postgres":
        dsn, _ = request.getfixturevalue("shared")
        env["SWITCHGEAR_DATABASE_URL"] = dsn
    process = GatewayProcess(tmp_path / "gw", config, env=env)
    answered: list[str] = []

    async def load() -> None:
        body = {"model": "gpt-fake", "messages": [{"role": "user", "content": "x"}]}
        headers = {"authorization": f"Bearer {ADMIN}"}
        async with httpx.AsyncClient(base_url=process.base_url, timeout=10) as client:

            async def one() -> None:
                while True:
                    try:
                        r = await client.post("/v1/chat/completions", json=body, headers=headers)
                    except httpx.HTTPError:
                        return
                    if r.status_code == 200:
                        answered.append(r.headers["x-request-id"])

            workers = [asyncio.create_task(one()) for _ in range(8)]
            await asyncio.sleep(1.5)
            process.process.send_signal(signal.SIGKILL)
            await asyncio.gather(*workers)

    asyncio.run(load())
    process.process.wait()
    assert process.process.returncode == -signal.SIGKILL
    assert len(answered) > 20
    restarted = GatewayProcess(tmp_path / "gw", config, env=env)
    restarted.stop()
    if backend == "postgres":
        store = open_postgres_store(env["SWITCHGEAR_DATABASE_URL"])
        recorded = {r.request_id for r in store.read_usage(limit=100_000)}
        store.close()
    else:
        recorded = {r["request_id"] for r in ledger_rows(restarted.db_path)}
    missing = set(answered) - recorded
    assert not missing, f"{len(missing)} answered requests missing from the ledger"
