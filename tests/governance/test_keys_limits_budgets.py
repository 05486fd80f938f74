"""Keys, limits, budgets, policies and reports through a real gateway process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import wait_for_ledger_row
from tests.gateway_process import GatewayProcess
from tests.governance.conftest import ADMIN, ENV, gateway_config

POLICIES = """
  apps:
    storefront: {tags: [external-customers]}
  policies:
    - name: no-llama-for-customers
      when: {tags_any: [external-customers]}
      deny: {licence_in: [Llama-3.1-Community]}
"""


@pytest.fixture(scope="module")
def gateway(
    upstream_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    home = tmp_path_factory.mktemp("governed")
    config = home / "switchgear.yaml"
    config.write_text(gateway_config(upstream_url, POLICIES))
    process = GatewayProcess(home, config, env=ENV)
    yield process
    process.stop()


def admin(gateway: GatewayProcess, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return gateway.admin(ADMIN, method, path, **kwargs)


def new_key(gateway: GatewayProcess, **fields: Any) -> tuple[str, str]:
    response = admin(gateway, "POST", "/keys", json=fields)
    assert response.status_code == 201, response.text
    body = response.json()
    return body["id"], body["key"]


def ask(gateway: GatewayProcess, key: str | None, model: str = "gpt-fake") -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
    return httpx.post(
        f"{gateway.base_url}/v1/chat/completions", json=body, headers=headers, timeout=60
    )


def test_missing_or_wrong_key_is_401(gateway: GatewayProcess) -> None:
    missing = ask(gateway, None)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "missing_api_key"
    wrong = ask(gateway, "sg-not-a-real-key")
    assert wrong.status_code == 401
    assert "sg-not-a-real-key" not in wrong.text


def test_key_lifecycle_create_use_restrict_rotate_revoke(gateway: GatewayProcess) -> None:
    key_id, secret = new_key(gateway, name="bot", team="research", allowed_models=["gpt-fake"])
    assert ask(gateway, secret).status_code == 200
    denied = ask(gateway, secret, model="default")
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "model_not_allowed"
    listed = admin(gateway, "GET", "/keys").json()["data"]
    mine = next(k for k in listed if k["id"] == key_id)
    assert secret not in str(listed) and "secret_hash" not in mine
    rotated = admin(gateway, "POST", f"/keys/{key_id}/rotate").json()["key"]
    assert ask(gateway, secret).status_code == 401
    assert ask(gateway, rotated).status_code == 200
    assert admin(gateway, "DELETE", f"/keys/{key_id}").status_code == 200
    assert ask(gateway, rotated).status_code == 401


def test_admin_api_needs_the_admin_key(gateway: GatewayProcess) -> None:
    _, secret = new_key(gateway, name="not-admin")
    response = httpx.get(
        f"{gateway.base_url}/admin/keys", headers={"authorization": f"Bearer {secret}"}
    )
    # Known, but without the right: 403 (a wrong or missing key is the 401).
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "admin_key_required"


def test_rpm_limit_is_exact_under_concurrent_load(gateway: GatewayProcess) -> None:
    _, secret = new_key(gateway, name="limited", limits={"rpm": 5})

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=gateway.base_url, timeout=60) as client:
            body = {"model": "gpt-fake", "messages": [{"role": "user", "content": "x"}]}
            calls = [
                client.post(
                    "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {secret}"}
                )
                for _ in range(12)
            ]
            return list(await asyncio.gather(*calls))

    responses = asyncio.run(burst())
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 5 + [429] * 7
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.headers["x-switchgear-limit"].endswith(":rpm")
    assert int(refused.headers["retry-after"]) >= 1
    assert "requests per min" in refused.json()["error"]["message"]
    ok = next(r for r in responses if r.status_code == 200)
    assert ok.headers["x-ratelimit-limit-requests"] == "5"


def test_a_refused_request_is_ledgered_under_its_callers_team_and_app(
    gateway: GatewayProcess,
) -> None:
    key_id, secret = new_key(
        gateway, name="one-a-minute", team="claims", app="intake", limits={"rpm": 1}
    )
    assert ask(gateway, secret).status_code == 200
    refused = ask(gateway, secret)
    assert refused.status_code == 429
    row = wait_for_ledger_row(gateway.db_path, refused.headers["x-request-id"])
    assert (row["status"], row["key_id"], row["team"], row["app"]) == (
        "error",
        key_id,
        "claims",
        "intake",
    )


def test_budget_refuses_before_sending(gateway: GatewayProcess) -> None:
    # gpt-fake costs 1 per token here: one answer (1 + 3 tokens) spends more than the budget.
    _, secret = new_key(gateway, name="thrifty", budgets={"daily": 3.0})
    first = ask(gateway, secret)
    assert first.status_code == 200
    wait_for_ledger_row(gateway.db_path, first.headers["x-request-id"])
    second = ask(gateway, secret)
    assert second.status_code == 429
    assert second.json()["error"]["type"] == "insufficient_quota"
    assert second.json()["error"]["code"] == "budget_exceeded"


def test_licence_policy_refuses_with_403_naming_it(gateway: GatewayProcess) -> None:
    _, shop = new_key(gateway, name="shop", app="storefront")
    refused = ask(gateway, shop, model="llama-fake")
    assert refused.status_code == 403
    assert "no-llama-for-customers" in refused.json()["error"]["message"]
    assert ask(gateway, shop, model="gpt-fake").status_code == 200
    _, staff = new_key(gateway, name="staff", app="intranet")
    assert ask(gateway, staff, model="llama-fake").status_code == 200


def test_usage_report_by_key_and_csv_with_savings(gateway: GatewayProcess) -> None:
    key_id, secret = new_key(gateway, name="reporter", team="analytics")
    assert ask(gateway, secret).status_code == 200
    local = ask(gateway, secret, model="default")
    assert local.status_code == 200
    wait_for_ledger_row(gateway.db_path, local.headers["x-request-id"])
    report = admin(gateway, "GET", "/usage", params={"group_by": "key_id,model"}).json()["data"]
    mine = {r["model"]: r for r in report if r["key_id"] == key_id}
    assert mine["gpt-fake"]["requests"] == 1 and mine["gpt-fake"]["cost"] > 0
    assert mine["smollm2-135m-instruct"]["cost"] == 0
    assert mine["smollm2-135m-instruct"]["saved"] > 0, "self-hosted priced as the reference"
    csv = admin(gateway, "GET", "/usage", params={"group_by": "team", "format": "csv"}).text
    assert csv.splitlines()[0].startswith("team,requests,errors")
    assert any(line.startswith("analytics,2,") for line in csv.splitlines())


def test_registry_shows_licences(gateway: GatewayProcess) -> None:
    models = {m["id"]: m for m in admin(gateway, "GET", "/models").json()["data"]}
    assert models["smollm2-135m-instruct"]["licence"] == "Apache-2.0"
    assert models["smollm2-135m-instruct"]["self_hosted"] is True
    assert "700M monthly-active-user threshold" in models["llama-fake"]["licence_terms"]


def test_audit_log_covers_requests_and_admin_actions_and_verifies(
    gateway: GatewayProcess,
) -> None:
    key_id, secret = new_key(gateway, name="audited")
    assert ask(gateway, secret).status_code == 200
    verdict = admin(gateway, "GET", "/audit/verify").json()
    assert verdict["ok"] is True and verdict["entries"] > 2
    import sqlite3

    with sqlite3.connect(gateway.db_path) as db:
        actions = {row[0] for row in db.execute("SELECT action FROM audit")}
        actors = {row[0] for row in db.execute("SELECT actor FROM audit")}
    assert {"keys.create", "chat.completions"} <= actions
    assert key_id in actors


def test_audit_verify_command_detects_an_edit(tmp_path: Path, upstream_url: str) -> None:
    home = tmp_path / "gw"
    process = GatewayProcess(home, None, env={"SWITCHGEAR_ADMIN_KEY": ADMIN})
    for _ in range(3):
        assert ask(process, ADMIN, model="default").status_code == 200
    process.stop()
    env = {"SWITCHGEAR_DATA_DIR": str(home)}
    command = [sys.executable, "-m", "switchgear.cli", "audit", "verify"]
    clean = subprocess.run(command, capture_output=True, text=True, env={**_env(), **env})
    assert clean.returncode == 0, clean.stderr
    assert "3 entries" in clean.stdout
    import sqlite3

    with sqlite3.connect(process.db_path) as db:
        db.execute("UPDATE audit SET actor = 'someone-else' WHERE seq = 2")
    tampered = subprocess.run(command, capture_output=True, text=True, env={**_env(), **env})
    assert tampered.returncode == 1
    assert "entry 2 was modified" in tampered.stderr


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def test_soft_budget_warning(gateway: GatewayProcess) -> None:
    _, secret = new_key(gateway, name="warned2", budgets={"monthly": 4.9})
    first = ask(gateway, secret)
    assert "x-switchgear-budget-warning" not in first.headers
    wait_for_ledger_row(gateway.db_path, first.headers["x-request-id"])
    second = ask(gateway, secret)
    assert second.status_code == 200
    assert "monthly budget 4.0000/4.9000" in second.headers["x-switchgear-budget-warning"]
    import sqlite3

    with sqlite3.connect(gateway.db_path) as db:
        events = db.execute(
            "SELECT detail FROM audit WHERE action = 'budget.warning' AND subject = ?",
            (second.headers["x-request-id"],),
        ).fetchall()
    assert len(events) == 1


def test_keys_command_creates_and_lists_through_the_admin_api(gateway: GatewayProcess) -> None:
    base = [sys.executable, "-m", "switchgear.cli", "keys"]
    env = {**_env(), "SWITCHGEAR_ADMIN_KEY": ADMIN}
    url = ["--url", f"{gateway.base_url}/v1"]
    created = subprocess.run(
        [*base, "create", "--name", "cli-bot", "--team", "ops", "--rpm", "3", *url],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    secret = json.loads(created.stdout)["key"]
    assert "not shown again" in created.stderr
    assert ask(gateway, secret).status_code == 200
    listed = subprocess.run(
        [*base, "list", *url], capture_output=True, text=True, env=env, timeout=60
    )
    assert "cli-bot" in listed.stdout and secret not in listed.stdout


def test_models_licences_command(tmp_path: Path, upstream_url: str) -> None:
    config = tmp_path / "switchgear.yaml"
    config.write_text(gateway_config(upstream_url))
    result = subprocess.run(
        [sys.executable, "-m", "switchgear.cli", "models", "--licences", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**_env(), "SWITCHGEAR_DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("llama-fake"))
    assert "Llama-3.1-Community" in line and "700M monthly-active-user threshold" in line
    smol = next(ln for ln in result.stdout.splitlines() if ln.startswith("smollm2"))
    assert "self-hosted" in smol and "Apache-2.0" in smol


def test_an_open_gateway_refuses_to_bind_beyond_loopback(tmp_path: Path) -> None:
    env = {k: v for k, v in _env().items() if k != "SWITCHGEAR_ADMIN_KEY"}
    result = subprocess.run(
        [sys.executable, "-m", "switchgear.cli", "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "SWITCHGEAR_DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 2
    assert "without API keys" in result.stderr
