"""Three gateway replicas on one Postgres and one Redis behind haproxy, one killed with
SIGKILL under mixed load: what users and the operator see must not change."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from pathlib import Path

import httpx

from switchgear.store.audit_chain import verify_chain
from switchgear.store.postgres import open_postgres_store
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess
from tests.replicas.haproxy import haproxy, stats, wait_for_status
from tests.replicas.load import ALL_KINDS, Outcome, Workload
from tests.replicas.upstream import UPSTREAM_KEY, create_upstream, replica_config
from tests.services import postgres_server, redis_server

ADMIN = "admin-secret-for-replica-tests"
RPM = {"rpm-a": 30, "rpm-b": 20}
DAILY_BUDGET = 30.0  # dollars; a chat costs a few at the config's dollar a token
KILL_AFTER = 120  # answers before the kill
ANSWERS_AFTER_KILL = 150


def _create_keys(replica: GatewayProcess) -> dict[str, dict[str, str]]:
    specs: dict[str, dict[str, dict[str, float]]] = {
        "free": {},
        **{name: {"limits": {"rpm": rpm}} for name, rpm in RPM.items()},
        "budget": {"budgets": {"daily": DAILY_BUDGET}},
    }
    keys = {}
    for name, spec in specs.items():
        created = replica.admin(ADMIN, "POST", "/keys", json={"name": name, **spec})
        assert created.status_code == 201, created.text
        keys[name] = {"id": created.json()["id"], "secret": created.json()["key"]}
    return keys


def _wait_until_known(replicas: list[GatewayProcess], secrets: dict[str, str]) -> list[Outcome]:
    """Every replica learns a new key from the shared store within seconds; the probes are
    requests like any other (ledgered, counted against the key's limits)."""
    probes = []
    for replica in replicas:
        for name, secret in secrets.items():
            deadline = time.monotonic() + 20
            while True:
                headers = {"authorization": f"Bearer {secret}"}
                r = httpx.get(f"{replica.base_url}/v1/models", headers=headers)
                if r.status_code == 200:
                    probes.append(Outcome(name, "models", 200, r.headers["x-request-id"], ""))
                    break
                assert time.monotonic() < deadline, f"a replica never saw key {name}"
                time.sleep(0.2)
    return probes


def test_three_replicas_behind_haproxy_survive_a_kill_9(tmp_path: Path) -> None:
    with (
        postgres_server() as dsn,
        redis_server() as redis_url,
        run_fake(create_upstream()) as upstream_url,
    ):
        config = tmp_path / "switchgear.yaml"
        config.write_text(replica_config(upstream_url))
        env = {
            "SWITCHGEAR_ADMIN_KEY": ADMIN,
            "UPSTREAM_KEY": UPSTREAM_KEY,
            "SWITCHGEAR_DATABASE_URL": dsn,
            "SWITCHGEAR_REDIS_URL": redis_url,
        }
        replicas = [GatewayProcess(tmp_path / f"r{n}", config, env=env) for n in (1, 2, 3)]
        victim = replicas[2]  # haproxy's r3
        try:
            keys = _create_keys(replicas[0])
            secrets = {name: key["secret"] for name, key in keys.items()}
            probes = _wait_until_known(replicas, secrets)
            with haproxy([r.port for r in replicas], tmp_path / "haproxy") as (url, sock):
                workload = Workload(
                    url,
                    secrets,
                    [
                        *[("free", ALL_KINDS)] * 6,
                        *[("rpm-a", ALL_KINDS)] * 2,
                        ("rpm-b", ALL_KINDS),
                        ("budget", ("chat", "stream")),
                    ],
                )
                answered_at_kill = 0

                def kill_victim() -> None:
                    # Until the process is gone the kernel still accepts connections on its
                    # port; waiting here (the event loop blocked, no new request sent) makes
                    # "sent after the kill" mean sent to a closed port.
                    os.kill(victim.process.pid, signal.SIGKILL)
                    victim.process.wait()

                def kill_then_stop(load: Workload) -> bool:
                    nonlocal answered_at_kill
                    if not load.killed and load.answered() >= KILL_AFTER:
                        answered_at_kill = load.answered()
                        load.kill(kill_victim)
                    return load.killed and load.answered() >= answered_at_kill + ANSWERS_AFTER_KILL

                asyncio.run(asyncio.wait_for(workload.run(kill_then_stop), timeout=300))
                wait_for_status(sock, "r3", "DOWN")
                served_by = {name: int(row["stot"]) for name, row in stats(sock).items()}
        finally:
            for replica in replicas:
                replica.stop()
        assert victim.process.returncode == -signal.SIGKILL
        outcomes = workload.outcomes

        # Clients saw no error except requests in flight on the killed replica.
        failed = [o for o in outcomes if o.failed]
        print(
            f"{len(outcomes)} requests, {len(failed)} failed, in flight at the kill: "
            f"{workload.in_flight_at_kill}, served per replica: {served_by}"
        )
        assert len(failed) <= workload.in_flight_at_kill
        assert not [o for o in failed if o.after_kill], f"sent after the kill, failed: {failed}"
        assert {o.replica for o in failed} <= {"r3", ""}, "an error came from a live replica"
        assert all(served_by[f"r{n}"] > 0 for n in (1, 2, 3)), "round robin used every replica"
        answered_after = sum(o.answered and o.after_kill for o in outcomes)
        assert answered_after >= ANSWERS_AFTER_KILL - workload.in_flight_at_kill

        # Rate limits are exact across replicas: no key got more answers than its rpm, and
        # every request it was allowed was either answered or lost with the killed replica.
        for name, rpm in RPM.items():
            mine = [o for o in probes + outcomes if o.key == name]
            answered = sum(o.answered for o in mine)
            lost = sum(o.failed for o in mine)
            assert rpm - lost <= answered <= rpm, (name, answered, lost)
            assert any(o.error_code == "rate_limited" or o.status == 429 for o in mine)
        spender = [o for o in outcomes if o.key == "budget"]
        assert any(o.error_code == "budget_exceeded" for o in spender)

        store = open_postgres_store(dsn)
        rows = store.read_usage(limit=100_000)
        chain = verify_chain(store.read_audit())
        store.close()

    # Every answered request has exactly one row in the shared ledger.
    ledgered = Counter(row.request_id for row in rows)
    answered_ids = [o.request_id or "" for o in probes + outcomes if o.answered]
    assert answered_ids and all(ledgered[rid] == 1 for rid in answered_ids)
    # The budget held across replicas: every admitted request saw the spend (reserved and
    # settled) under the budget, so all but the last one fit inside it.
    costs = [r.cost for r in rows if r.key_id == keys["budget"]["id"] and r.status == "ok"]
    assert len(costs) >= 2
    assert sum(costs) - max(costs) < DAILY_BUDGET
    for name, rpm in RPM.items():
        ok = [r for r in rows if r.key_id == keys[name]["id"] and r.status == "ok"]
        assert len(ok) <= rpm, f"the ledger shows {name} served past its limit"
    assert chain.ok, "three writers, one killed mid-write: the audit chain still verifies"
