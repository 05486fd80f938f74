"""Requests/s and latency through haproxy with 1, 2 and 3 gateway replicas sharing one
Postgres and one Redis, against the fast OpenAI fake (no model), with one replica reached
directly (no load balancer) as the baseline measured in the same run.

    .venv/bin/python bench/replicas/run.py [--requests 2000] [--concurrency 32] [--rounds 3]

Everything runs on this machine: the replicas, haproxy, Postgres, Redis, the fake upstream
(its own process) and the load generator share its cores, so the numbers show what an extra
replica buys when the cores are already busy, not what it buys on its own machine. Requests
are non-streamed chat completions with a virtual key (no limits): every one goes through the
whole pipeline (key check, Redis counters, routing, the Postgres ledger and audit chain).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.gateway_process import GatewayProcess, free_port  # noqa: E402
from tests.replicas.haproxy import haproxy  # noqa: E402
from tests.replicas.upstream import UPSTREAM_KEY, replica_config  # noqa: E402
from tests.services import postgres_server, redis_server  # noqa: E402

ADMIN = "admin-secret-for-the-replica-bench"
BODY = {"model": "gpt-fake", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
TIME_CAP_S = 120.0


async def load(url: str, secret: str, requests: int, concurrency: int) -> dict[str, float]:
    """`requests` chat completions from `concurrency` workers; RPS and latency in ms."""
    latencies: list[float] = []
    errors = 0
    headers = {"authorization": f"Bearer {secret}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    deadline = time.monotonic() + TIME_CAP_S
    async with aiohttp.ClientSession(url, connector=connector, headers=headers) as session:
        sent = 0

        async def worker() -> None:
            nonlocal sent, errors
            while sent < requests and time.monotonic() < deadline:
                sent += 1
                start = time.perf_counter()
                async with session.post("/v1/chat/completions", json=BODY) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append((time.perf_counter() - start) * 1000)

        # A short warm-up (connections, key cache, Postgres plans) that is not measured.
        for _ in range(2):
            async with session.post("/v1/chat/completions", json=BODY) as response:
                await response.read()
        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "rps": len(latencies) / elapsed,
        "p50": cuts[49],
        "p95": cuts[94],
        "errors": errors,
        "n": len(latencies),
    }


def upstream_process(port: int) -> subprocess.Popen[bytes]:
    """The fake upstream in its own process, so it does not share the client's event loop."""
    command = [sys.executable, "-m", "uvicorn", "--factory", "--port", str(port)]
    command += ["--log-level", "warning", "tests.replicas.upstream:create_upstream"]
    process = subprocess.Popen(command, cwd=REPO)
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1)
            return process
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the fake upstream did not start") from None
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="sg-replicas-bench-"))
    port = free_port()
    upstream = upstream_process(port)
    try:
        with postgres_server() as dsn, redis_server() as redis_url:
            config = home / "switchgear.yaml"
            config.write_text(replica_config(f"http://127.0.0.1:{port}"))
            env = {
                "SWITCHGEAR_ADMIN_KEY": ADMIN,
                "UPSTREAM_KEY": UPSTREAM_KEY,
                "SWITCHGEAR_DATABASE_URL": dsn,
                "SWITCHGEAR_REDIS_URL": redis_url,
            }
            replicas = [GatewayProcess(home / f"r{n}", config, env=env) for n in (1, 2, 3)]
            try:
                created = replicas[0].admin(ADMIN, "POST", "/keys", json={"name": "bench"})
                secret = created.json()["key"]
                for replica in replicas:  # every replica has learned the key
                    while (
                        httpx.get(
                            f"{replica.base_url}/v1/models",
                            headers={"authorization": f"Bearer {secret}"},
                        ).status_code
                        != 200
                    ):
                        time.sleep(0.2)
                rows: list[tuple[str, str, int | None]] = [
                    ("1 replica, direct", replicas[0].base_url, None)
                ]
                rows += [(f"{n} behind haproxy", "", n) for n in (1, 2, 3)]
                print(
                    f"{platform.node()}: {os.cpu_count()} cores, {args.requests} requests a cell, "
                    f"concurrency {args.concurrency}, {args.rounds} rounds"
                )
                # Setups take turns, round after round, so a burst of someone else's work on
                # the shared cores lands on every setup alike; the median round is reported.
                results: dict[str, list[dict[str, float]]] = {label: [] for label, _, _ in rows}
                for _ in range(args.rounds):
                    for label, url, count in rows:
                        if count is None:
                            results[label].append(
                                asyncio.run(load(url, secret, args.requests, args.concurrency))
                            )
                            continue
                        ports = [r.port for r in replicas[:count]]
                        with haproxy(ports, home / f"haproxy-{count}") as (lb_url, _):
                            results[label].append(
                                asyncio.run(load(lb_url, secret, args.requests, args.concurrency))
                            )
                print("| setup | RPS (median) | RPS per round | p50 ms | p95 ms | errors |")
                print("|---|---:|---|---:|---:|---:|")
                for label, cells in results.items():
                    median = {
                        name: statistics.median(c[name] for c in cells)
                        for name in ("rps", "p50", "p95")
                    }
                    rounds = " / ".join(f"{c['rps']:.0f}" for c in cells)
                    errors = sum(c["errors"] for c in cells)
                    print(
                        f"| {label} | {median['rps']:.0f} | {rounds} | {median['p50']:.1f} | "
                        f"{median['p95']:.1f} | {errors:.0f} |"
                    )
                # Other people's work on the same cores skews every cell: say how busy it was.
                print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
            finally:
                for replica in replicas:
                    replica.stop()
    finally:
        upstream.terminate()
        upstream.wait(timeout=15)


if __name__ == "__main__":
    main()
