"""A gateway killed with SIGKILL in the middle of a batch, then started again on the same data:
the batch finishes, and its output holds every line exactly once."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path

from openai import OpenAI

from tests.batch.test_batch_api import chat_line, finished, jsonl, results
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import TEST_ADMIN_KEY, GatewayProcess

CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
batch: {{concurrency: 3}}
"""
LINES = 30


def test_kill_9_mid_batch_then_restart_answers_every_line_once(tmp_path: Path) -> None:
    behaviour = FakeBehaviour(api_key="test-key", chunk_delay=0.05)  # about 0.3 s a line
    env = {"FAKE_KEY": "test-key", "SWITCHGEAR_ADMIN_KEY": TEST_ADMIN_KEY}
    with run_fake(create_openai_fake(behaviour)) as url:
        config = tmp_path / "switchgear.yaml"
        config.write_text(CONFIG.format(url=url))
        first = GatewayProcess(tmp_path, config, env=env)
        made = first.admin(TEST_ADMIN_KEY, "POST", "/keys", json={"name": "bulk"})
        key = made.json()["key"]
        client = OpenAI(base_url=f"{first.base_url}/v1", api_key=key, max_retries=0)
        lines = [chat_line(f"line-{n}", f"event {n}") for n in range(LINES)]
        uploaded = client.files.create(file=("events.jsonl", jsonl(lines)), purpose="batch")
        batch = client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            counts = client.batches.retrieve(batch.id).request_counts
            if counts is not None and counts.completed >= 6:
                break
            time.sleep(0.05)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
        first.stop()
        answered_before = len(behaviour.requests)
        assert answered_before < LINES, "the kill came after the batch had finished"

        second = GatewayProcess(tmp_path, config, env=env)
        try:
            client = OpenAI(base_url=f"{second.base_url}/v1", api_key=key, max_retries=0)
            done = finished(client, batch.id)
            assert done.status == "completed"
            assert done.request_counts is not None
            assert (done.request_counts.total, done.request_counts.completed) == (LINES, LINES)
            out = results(client, done.output_file_id)
            ids = [r["custom_id"] for r in out]
            assert sorted(ids) == sorted(f"line-{n}" for n in range(LINES)), "each line once"
            echoed = {r["custom_id"]: r["response"]["body"]["choices"][0]["message"]["content"]
                      for r in out}  # fmt: skip
            assert all(f"event {n}" in echoed[f"line-{n}"] for n in range(LINES))
            # Only the lines without a result ran again: at most those in flight at the kill.
            assert len(behaviour.requests) <= LINES + 3
            assert json.dumps(out).count("batch_req_") == LINES
        finally:
            second.stop()


def test_revoking_the_key_stops_its_batch(tmp_path: Path) -> None:
    behaviour = FakeBehaviour(api_key="test-key", chunk_delay=0.05)
    env = {"FAKE_KEY": "test-key", "SWITCHGEAR_ADMIN_KEY": TEST_ADMIN_KEY}
    with run_fake(create_openai_fake(behaviour)) as url:
        config = tmp_path / "switchgear.yaml"
        config.write_text(CONFIG.format(url=url))
        gateway = GatewayProcess(tmp_path, config, env=env)
        try:
            made = gateway.admin(TEST_ADMIN_KEY, "POST", "/keys", json={"name": "leaver"}).json()
            client = OpenAI(base_url=f"{gateway.base_url}/v1", api_key=made["key"], max_retries=0)
            lines = [chat_line(f"r-{n}", f"event {n}") for n in range(LINES)]
            uploaded = client.files.create(file=("r.jsonl", jsonl(lines)), purpose="batch")
            batch = client.batches.create(
                input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
            )
            while _completed(client, batch.id) < 3:
                time.sleep(0.05)
            revoked = gateway.admin(TEST_ADMIN_KEY, "DELETE", f"/keys/{made['id']}")
            assert revoked.status_code == 200, revoked.text
            deadline = time.monotonic() + 60
            status = "in_progress"
            while status not in ("completed", "failed") and time.monotonic() < deadline:
                time.sleep(0.2)
                with sqlite3.connect(gateway.db_path) as db:
                    status = db.execute(
                        "SELECT status FROM batches WHERE id = ?", (batch.id,)
                    ).fetchone()[0]
            assert status == "completed"
            with sqlite3.connect(gateway.db_path) as db:
                failed = [json.loads(r) for (r,) in db.execute(
                    "SELECT result FROM batch_lines WHERE batch_id = ? AND status = 'error'",
                    (batch.id,),
                )]  # fmt: skip
            assert failed, "lines after the revocation were refused"
            assert all(f["response"]["status_code"] == 401 for f in failed)
            assert len(behaviour.requests) < LINES, "no refused line reached the upstream"
        finally:
            gateway.stop()


def _completed(client: OpenAI, batch_id: str) -> int:
    counts = client.batches.retrieve(batch_id).request_counts
    return counts.completed if counts is not None else 0
