"""Two replicas on one Postgres share the response cache: an answer kept by one is a hit on
the other, for the same key only."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import TEST_ADMIN_KEY, GatewayProcess
from tests.services import postgres_server

CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
routes:
  faq: {{targets: [gpt-fake], cache: {{mode: exact}}}}
"""


def test_an_answer_kept_by_one_replica_is_a_hit_on_the_other(tmp_path: Path) -> None:
    behaviour = FakeBehaviour(api_key="test-key")
    with postgres_server() as dsn, run_fake(create_openai_fake(behaviour)) as url:
        config = tmp_path / "switchgear.yaml"
        config.write_text(CONFIG.format(url=url))
        env = {"FAKE_KEY": "test-key", "SWITCHGEAR_ADMIN_KEY": TEST_ADMIN_KEY,
               "SWITCHGEAR_DATABASE_URL": dsn}  # fmt: skip
        first = GatewayProcess(tmp_path / "a", config, env=env)
        second = GatewayProcess(tmp_path / "b", config, env=env)
        try:
            keys = [
                first.admin(TEST_ADMIN_KEY, "POST", "/keys", json={"name": n}).json()["key"]
                for n in ("one", "two")
            ]
            body = {"model": "faq", "messages": [{"role": "user", "content": "Office hours?"}]}

            def ask(gateway: GatewayProcess, key: str) -> httpx.Response:
                headers = {"authorization": f"Bearer {key}"}
                response = httpx.post(f"{gateway.base_url}/v1/chat/completions", json=body,
                                      headers=headers, timeout=60)  # fmt: skip
                assert response.status_code == 200, response.text
                return response

            assert ask(first, keys[0]).headers["x-switchgear-cache"] == "miss"
            import time

            deadline = time.monotonic() + 15  # the other replica learns new keys within seconds
            while True:
                probe = httpx.get(f"{second.base_url}/v1/models",
                                  headers={"authorization": f"Bearer {keys[1]}"})  # fmt: skip
                if probe.status_code == 200 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert ask(second, keys[0]).headers["x-switchgear-cache"] == "hit"
            assert ask(second, keys[1]).headers["x-switchgear-cache"] == "miss"
            assert len(behaviour.requests) == 2
        finally:
            first.stop()
            second.stop()
