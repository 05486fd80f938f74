"""What the gateway adds to an MCP tool call, against calling the same server directly, in one
run on one machine (every address 127.0.0.1).

    .venv/bin/python bench/mcp/overhead.py              # 300 sequential calls per path
    .venv/bin/python bench/mcp/overhead.py --calls 1000

The backing server is the tests' Python tool server (`add`), served over streamable HTTP
(stateless, JSON answers) and over stdio. Paths, each with the official SDK client in both
protocol eras (`legacy`: the 2025 handshake; `auto`: 2026-07-28):

- direct: the client on the tool server's own URL;
- gateway → http: `/mcp` with a virtual key, the gateway calling the same HTTP server;
- gateway → stdio: `/mcp`, the gateway calling its own stdio child.

The gateway runs the full trip (key, limits, guards policy `off`, the SQLite ledger committed
before each answer). Printed: median and p90 per call, and the gateway's added median.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.gateway_process import GatewayProcess, free_port  # noqa: E402
from tests.mcp_gateway.conftest import TOOL_SERVER, wait_for_port  # noqa: E402

ADMIN = "sg-bench-admin"
TOKEN = "bench-token"
CONFIG = """
providers: {{api: {{kind: openai_compat, base_url: "http://127.0.0.1:9/v1"}}}}
models: [{{id: ext, provider: api}}]
mcp:
  servers:
    http: {{url: "{url}", headers: {{X-Tool-Token: {token}}}}}
    stdio: {{command: "{python}", args: ["{server}"]}}
"""


async def timed_calls(
    url: str, headers: dict[str, str], tool: str, mode: str, calls: int
) -> list[float]:
    async with (
        httpx2.AsyncClient(headers=headers) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode, cache=None) as client,
    ):
        await client.list_tools()  # the client fetches schemas once; not part of a call
        for _ in range(10):  # warm-up
            await client.call_tool(tool, {"a": 1, "b": 2})
        out = []
        for i in range(calls):
            started = time.perf_counter()
            await client.call_tool(tool, {"a": i, "b": 2})
            out.append((time.perf_counter() - started) * 1000)
        return out


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.9)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    calls = parser.parse_args().calls
    port = free_port()
    server = subprocess.Popen([sys.executable, str(TOOL_SERVER), "--http", str(port), TOKEN])
    home = Path(tempfile.mkdtemp(prefix="sg-mcp-bench-"))
    try:
        wait_for_port(port, server)
        direct_url = f"http://127.0.0.1:{port}/mcp"
        config = home / "switchgear.yaml"
        config.write_text(
            CONFIG.format(url=direct_url, token=TOKEN, python=sys.executable, server=TOOL_SERVER)
        )
        gateway = GatewayProcess(home, config, env={"SWITCHGEAR_ADMIN_KEY": ADMIN})
        try:
            key = gateway.admin(ADMIN, "POST", "/keys", json={"name": "bench"}).json()["key"]
            auth = {"authorization": f"Bearer {key}"}
            door = f"{gateway.base_url}/mcp"
            paths = [  # (name, URL, headers, tool)
                ("direct", direct_url, {"x-tool-token": TOKEN}, "add"),
                ("gateway → http", door, auth, "http__add"),
                ("gateway → stdio", door, auth, "stdio__add"),
            ]
            results: dict[tuple[str, str], Any] = {}
            for mode in ("legacy", "auto"):
                for name, url, headers, tool in paths:
                    samples = anyio.run(timed_calls, url, headers, tool, mode, calls)
                    results[(name, mode)] = summary(samples)
        finally:
            gateway.stop()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{calls} sequential tools/call per path (ms per call)")
    print(f"{'path':<18}{'era':<8}{'p50':>8}{'p90':>8}{'added p50':>11}")
    for (name, mode), (p50, p90) in results.items():
        added = p50 - results[("direct", mode)][0]
        shown = "" if name == "direct" else f"{added:+.2f}"
        print(f"{name:<18}{mode:<8}{p50:>8.2f}{p90:>8.2f}{shown:>11}")


if __name__ == "__main__":
    main()
