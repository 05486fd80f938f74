"""`batch.executor: ray` on a real local Ray cluster (`ray start --head` with no CPUs of its
own and a worker node with two): each line is a Ray task on the worker that asks the gateway
to run it; the batch completes with every line once, a retried line is not run twice, and a
line request without the batch's token is refused."""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from tests.batch.test_batch_api import chat_line, finished, jsonl, results
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess, free_port

RAY = str(Path(sys.executable).parent / "ray")
CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
batch: {{executor: ray, ray_address: "127.0.0.1:{ray_port}", gateway_url: "{gateway_url}",
         concurrency: 4}}
"""


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    temp = tmp_path_factory.mktemp("ray")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    common = ["--disable-usage-stats", "--include-dashboard=false"]
    head = [RAY, "start", "--head", "--port", str(port), "--num-cpus", "0",
            "--temp-dir", str(temp), *common]  # fmt: skip
    subprocess.run(head, check=True, env=env, capture_output=True, timeout=120)
    try:
        worker = [RAY, "start", "--address", f"127.0.0.1:{port}", "--num-cpus", "2"]
        subprocess.run(worker, check=True, env=env, capture_output=True, timeout=120)
        yield port
    finally:
        subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True, timeout=120)


def test_a_batch_runs_as_ray_tasks_through_the_gateway(ray_cluster: int, tmp_path: Path) -> None:
    behaviour = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(behaviour)) as url:
        port = free_port()
        gateway_url = f"http://127.0.0.1:{port}"
        config = tmp_path / "switchgear.yaml"
        config.write_text(CONFIG.format(url=url, ray_port=ray_cluster, gateway_url=gateway_url))
        gateway = GatewayProcess(tmp_path, config, env={"FAKE_KEY": "test-key"}, port=port)
        try:
            client = OpenAI(base_url=f"{gateway.base_url}/v1", api_key="unused", max_retries=0)
            lines = [chat_line(f"ray-{n}", f"Highlight {n}") for n in range(20)]
            uploaded = client.files.create(file=("ray.jsonl", jsonl(lines)), purpose="batch")
            batch = client.batches.create(
                input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
            )
            done = finished(client, batch.id, timeout=180)
            assert done.status == "completed", gateway.log_path.read_text()[-3000:]
            out = results(client, done.output_file_id)
            assert sorted(r["custom_id"] for r in out) == sorted(f"ray-{n}" for n in range(20))
            assert len(behaviour.requests) == 20, "each line reached the upstream once"

            with sqlite3.connect(gateway.db_path) as db:
                secret = db.execute(
                    "SELECT value FROM gateway_secrets WHERE name = 'batch_line_key'"
                ).fetchone()[0]
            token = hmac.new(secret.encode(), batch.id.encode(), hashlib.sha256).hexdigest()
            line_url = f"{gateway.base_url}/v1/batches/{batch.id}/lines/3"
            again = httpx.post(line_url, json={}, headers={"x-switchgear-batch-token": token})
            assert again.json() == {"status": "already answered"}
            assert len(behaviour.requests) == 20, "a retried line is not run again"
            forged = httpx.post(line_url, json={}, headers={"x-switchgear-batch-token": "x"})
            assert forged.status_code == 404
        finally:
            gateway.stop()
