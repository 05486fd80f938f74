"""A budget holds under concurrency: admission reserves each request's estimated cost in the
same atomic step that checks the budget, so 200 clients at once overshoot a $1.00 budget by
at most one request's estimate (here $0.01), in memory and in Redis."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess
from tests.services import redis_server

ADMIN = "admin-secret-for-budgets"
MAX_TOKENS = 4
# 4 output tokens at most, at $2,500 per million: a request costs at most $0.01.
ESTIMATE = MAX_TOKENS * 2500 / 1e6
CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{upstream}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: paid, provider: api, upstream_model: m, output_price_per_mtok: 2500}}
"""


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with run_fake(create_openai_fake(FakeBehaviour(api_key="k"))) as url:
        yield url


@pytest.fixture(params=["memory", "redis"])
def gateway(
    request: pytest.FixtureRequest, upstream: str, tmp_path: Path
) -> Iterator[GatewayProcess]:
    config = tmp_path / "switchgear.yaml"
    config.write_text(CONFIG.format(upstream=upstream))
    env = {"FAKE_KEY": "k", "SWITCHGEAR_ADMIN_KEY": ADMIN}
    if request.param == "redis":
        with redis_server() as url:
            process = GatewayProcess(tmp_path, config, env={**env, "SWITCHGEAR_REDIS_URL": url})
            yield process
            process.stop()
    else:
        process = GatewayProcess(tmp_path, config, env=env)
        yield process
        process.stop()


def test_two_hundred_clients_overshoot_by_at_most_one_estimate(gateway: GatewayProcess) -> None:
    created = gateway.admin(ADMIN, "POST", "/keys", json={"name": "b", "budgets": {"daily": 1.0}})
    headers = {"authorization": f"Bearer {created.json()['key']}"}
    body = {
        "model": "paid",
        "max_tokens": MAX_TOKENS,
        "messages": [{"role": "user", "content": "tell me a long story about seven dragons"}],
    }

    async def client(http: httpx.AsyncClient, codes: list[int]) -> None:
        for _ in range(3):
            response = await http.post("/v1/chat/completions", json=body, headers=headers)
            codes.append(response.status_code)

    async def run() -> list[int]:
        codes: list[int] = []
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=gateway.base_url, timeout=120, limits=limits) as http:
            await asyncio.gather(*(client(http, codes) for _ in range(200)))
        return codes

    codes = asyncio.run(run())
    assert set(codes) <= {200, 429} and 429 in codes and 200 in codes
    refusal = httpx.post(f"{gateway.base_url}/v1/chat/completions", json=body, headers=headers)
    assert refusal.status_code == 429
    assert refusal.json()["error"]["code"] == "budget_exceeded"
    assert int(refusal.headers["retry-after"]) > 0  # until the day is over
    with sqlite3.connect(gateway.db_path) as db:
        spent = db.execute("SELECT SUM(cost) FROM usage WHERE status = 'ok'").fetchone()[0]
    assert 1.0 - ESTIMATE <= spent <= 1.0 + ESTIMATE + 1e-9, spent
