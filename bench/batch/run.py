"""Batch throughput: lines per second against the number of lines, in-process executor, to a
fast fake OpenAI upstream (loopback, no delay), and what a running batch does to interactive
latency on the same gateway.

    .venv/bin/python bench/batch/run.py [--lines 1000 10000] [--concurrency 4 16]

Each size: upload through the official `openai` SDK, create the batch, poll until completed;
lines/s counts from creation to `completed` (upload timed apart). Interactive: 50 chat
requests one at a time to the same upstream, with no batch running and then during a batch.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from openai import OpenAI

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess, free_port

CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
batch: {{concurrency: {concurrency}, max_lines: 200000{ray}}}
"""
RAY_BATCH = ', executor: ray, ray_address: "127.0.0.1:{port}", gateway_url: "{url}"'


def start_ray() -> int:
    """A local cluster: a head with no CPUs of its own and a worker node with two."""
    ray = str(Path(sys.executable).parent / "ray")
    port = free_port()
    common = ["--disable-usage-stats", "--include-dashboard=false"]
    subprocess.run([ray, "start", "--head", "--port", str(port), "--num-cpus", "0", *common],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run([ray, "start", "--address", f"127.0.0.1:{port}", "--num-cpus", "2"],
                   check=True, capture_output=True)  # fmt: skip
    return port


def stop_ray() -> None:
    ray = str(Path(sys.executable).parent / "ray")
    subprocess.run([ray, "stop", "--force"], capture_output=True)


def batch_file(lines: int) -> bytes:
    out = []
    for n in range(lines):
        body = {"model": "gpt-fake", "max_tokens": 4,
                "messages": [{"role": "user", "content": f"Highlight {n}"}]}  # fmt: skip
        line = {"custom_id": f"l{n}", "method": "POST", "url": "/v1/chat/completions",
                "body": body}  # fmt: skip
        out.append(json.dumps(line))
    return ("\n".join(out) + "\n").encode()


def run_batch(client: OpenAI, lines: int) -> tuple[float, float]:
    data = batch_file(lines)
    started = time.perf_counter()
    uploaded = client.files.create(file=("b.jsonl", data), purpose="batch")
    upload_s = time.perf_counter() - started
    started = time.perf_counter()
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    while True:
        batch = client.batches.retrieve(batch.id)
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            break
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    assert batch.status == "completed", batch.status
    assert batch.request_counts is not None and batch.request_counts.completed == lines
    return upload_s, elapsed


def interactive_ms(client: OpenAI, count: int = 50) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        client.chat.completions.create(
            model="gpt-fake", messages=[{"role": "user", "content": "hi"}], max_tokens=4
        )
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 16])
    parser.add_argument("--ray", action="store_true", help="batch.executor: ray (local cluster)")
    args = parser.parse_args()
    ray_port = start_ray() if args.ray else None
    with run_fake(create_openai_fake(FakeBehaviour(api_key="k"))) as url:
        for concurrency in args.concurrency:
            with tempfile.TemporaryDirectory() as home:
                config = Path(home) / "switchgear.yaml"
                port = free_port()
                ray = (
                    ""
                    if ray_port is None
                    else RAY_BATCH.format(port=ray_port, url=f"http://127.0.0.1:{port}")
                )
                config.write_text(CONFIG.format(url=url, concurrency=concurrency, ray=ray))
                gateway = GatewayProcess(Path(home), config, env={"FAKE_KEY": "k"}, port=port)
                try:
                    client = OpenAI(base_url=f"{gateway.base_url}/v1", api_key="x",
                                    max_retries=0, timeout=600)  # fmt: skip
                    quiet = interactive_ms(client)
                    for lines in args.lines:
                        upload_s, elapsed = run_batch(client, lines)
                        print(
                            f"concurrency {concurrency}: {lines} lines: {lines / elapsed:.0f} "
                            f"lines/s ({elapsed:.1f} s; upload {upload_s:.2f} s)",
                            flush=True,
                        )
                    during: list[float] = []
                    worker = threading.Thread(target=run_batch, args=(client, args.lines[-1]))
                    worker.start()
                    time.sleep(1.0)
                    during = interactive_ms(client)
                    worker.join()
                    print(
                        f"concurrency {concurrency}: interactive p50 "
                        f"{statistics.median(quiet):.1f} ms alone, "
                        f"{statistics.median(during):.1f} ms during a batch "
                        f"(p95 {sorted(during)[int(len(during) * 0.95)]:.1f} ms)",
                        flush=True,
                    )
                finally:
                    gateway.stop()
    if ray_port is not None:
        stop_ray()


if __name__ == "__main__":
    main()
