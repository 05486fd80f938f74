"""Which HTTP server and upstream client should Switchgear use? Measures the thinnest
pass-through (bench/gateway/stack_proxy.py) on each server (uvicorn+httptools, uvicorn+h11,
granian) with each client (none, httpx, httpx streaming, aiohttp, aiohttp streaming, raw
asyncio streams), plus bench-peers' minimal proxy as the calibration point, all against the
shared mock in one run. Prints server CPU-ms per request and RPS; ratios against the minimal
proxy are the result.

    .venv/bin/python bench/gateway/stack.py [--quick] [--concurrency 1,32]

Needs a venv with aiohttp, granian, httpx, uvicorn, msgspec; made on first use at
~/.cache/switchgear-bench/stack (pip, pinned versions). Loopback only; bounded runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Fleet, Server, free_port, http, load_average, terminate

HERE = Path(__file__).resolve().parent
STACK_VENV = Path.home() / ".cache" / "switchgear-bench" / "stack"
STACK_PACKAGES = [
    "aiohttp==3.14.5",
    "granian==2.8.7",
    "httpx==0.28.1",
    "uvicorn[standard]==0.54.0",
    "starlette==1.10.0",
    "msgspec==0.22.0",
    "orjson==3.13.0",
]
SERVERS = ("uvicorn-httptools", "uvicorn-h11", "granian")
CLIENTS = ("none", "httpx", "httpx-stream", "aiohttp", "aiohttp-stream", "raw")


def stack_python() -> str:
    python = STACK_VENV / "bin" / "python"
    if not python.exists():
        print(f"making {STACK_VENV} (one time)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(STACK_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *STACK_PACKAGES], check=True
        )
    return str(python)


def start(fleet: Fleet, python: str, server: str, client: str, starlette: bool, up: str) -> Server:
    port = free_port()
    name = f"{server}+{'starlette+' if starlette else ''}{client}"
    env = {
        "STACK_UPSTREAM": up,
        "STACK_CLIENT": client,
        "STACK_STARLETTE": "1" if starlette else "",
    }
    if server == "granian":
        argv = [
            python,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--runtime-threads",
            "1",
            "--loop",
            "uvloop",
            "--no-ws",
            "--log-level",
            "warning",
            "stack_proxy:app",
        ]
    else:
        http_impl = server.split("-", 1)[1]
        argv = [python, str(HERE / "stack_proxy.py"), "--port", str(port), "--http", http_impl]
    process, log = fleet._spawn(name, argv, env, cwd=HERE)
    root = f"http://127.0.0.1:{port}"
    fleet._wait(name, process, lambda: http("GET", root + "/health")[0] == 200, 60)
    s = Server(name, root + "/v1", process, log=log)
    fleet.servers[name] = s
    return s


def measure(
    fleet: Fleet, target: Server, mock: Server, c: int, n: int, stream: bool
) -> dict[str, float]:
    r = fleet.loadgen(
        target,
        mock,
        c,
        n,
        max_seconds=30,
        warmup=100,
        stream=stream,
        name="t",
        api_key="sk-local-test",
    )
    return {
        "rps": r["rps"],
        "p50": r["p50_ms"],
        "cpu": r["proc"]["t"]["cpu_ms_per_req"],
        "rss": r["proc"]["t"]["rss_mb_after"],
        "errors": sum(r["errors"].values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--concurrency", default="1,32")
    parser.add_argument("--requests", type=int)
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--stream", action="store_true", help="clients ask for SSE too")
    args = parser.parse_args()
    n = args.requests or (800 if args.quick else 3000)
    levels = [int(c) for c in args.concurrency.split(",")]
    python = stack_python()
    print(f"# {' '.join(sys.argv)}\nload average {load_average()}, {os.cpu_count()} cores")
    combos: list[tuple[str, str, bool]] = [
        (s, c, False) for s in args.servers.split(",") for c in args.clients.split(",")
    ]
    combos += [("uvicorn-httptools", c, True) for c in ("none", "aiohttp", "httpx-stream")]
    rows = []
    with Fleet() as fleet:
        mock = fleet.start_mock()
        minimal = fleet.start_minimal(mock.base_url)
        if minimal is not None:
            for c in levels:
                rows.append(
                    (
                        "minimal_proxy (Starlette+uvicorn+aiohttp)",
                        c,
                        measure(fleet, minimal, mock, c, n, args.stream),
                    )
                )
            fleet.servers.pop("minimal")
            terminate(minimal.process)
        for server, client, starlette in combos:
            target = start(fleet, python, server, client, starlette, mock.base_url)
            for c in levels:
                result = measure(fleet, target, mock, c, n, args.stream)
                rows.append((target.name, c, result))
                print(
                    f"  {target.name:42} c={c:<3} {result['rps']:8.0f} rps "
                    f"{result['cpu']:.3f} CPU-ms/req errors {result['errors']}",
                    flush=True,
                )
            fleet.servers.pop(target.name)
            terminate(target.process)
    base = {c: r["cpu"] for name, c, r in rows if name.startswith("minimal_proxy")}
    print("\n| server + client | conc | RPS | p50 ms | CPU ms/req | x minimal_proxy | RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, c, r in sorted(rows, key=lambda row: (row[1], row[2]["cpu"])):
        ratio = f"{r['cpu'] / base[c]:.2f}x" if base.get(c) else "-"
        print(
            f"| {name} | {c} | {r['rps']:.0f} | {r['p50']} | {r['cpu']:.3f} | {ratio} | "
            f"{r['rss']:.0f} |"
        )
    print(f"\nload average {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
