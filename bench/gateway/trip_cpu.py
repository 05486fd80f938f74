"""CPU per trip through the pipeline alone, in one process, for this checkout and another git
ref (e.g. the commit before a change), so a change to the pipeline's shape is measured without
the HTTP stack's noise. Each side serves N chat requests (32 at a time) with a virtual key,
routing and the SQLite ledger, answered by an in-process provider that streams 8 deltas; the
CPU time of the event-loop thread (where the pipeline runs; the ledger's writer thread is left
out, its work is the same on both sides and its disk waits are noise) divided by N, best of R.

    .venv/bin/python bench/gateway/trip_cpu.py --baseline HEAD~1 [--requests 20000]
    .venv/bin/python bench/gateway/trip_cpu.py --baseline HEAD~1 --instructions

CPU time on these shared machines drifts by ±20% between runs; `--instructions` counts
instructions instead (valgrind's callgrind, the event-loop thread only: the ledger writer's
group commits vary with scheduling): the same count for the same code whatever else the
machine does. Per trip = (count for 1,280 trips - count for 320) / 960.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Runs inside one side's interpreter (its `src` first on the path): old and new pipelines
# have different entries (`start_chat` before, `run` after); everything else is shared.
CHILD = r"""
import asyncio, json, sys, tempfile, time, dataclasses
import msgspec
from switchgear.config import Config
from switchgear.gateway import Gateway
from switchgear.schema.generation import Delta, Usage
from switchgear.schema.requests import ChatCompletionRequest

N, ROUNDS, STREAM = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "stream"

class Mock:
    async def _answer(self):
        for word in ("Hello", " there", ",", " how", " can", " I", " help", "?"):
            yield Delta(text=word)
        yield Delta(finish_reason="stop", usage=Usage(8, 8))
    def send(self, model, request):
        return self._answer()
    def stream_chat(self, model, request):
        return self._answer()
    def is_ready(self): return True
    async def start(self): pass
    async def aclose(self): pass

async def main():
    data = tempfile.mkdtemp()
    config = msgspec.convert({
        "data_dir": data,
        "providers": {"api": {"kind": "openai_compat", "base_url": "http://mock.invalid"}},
        "models": [{"id": "mock-gpt", "provider": "api"}],
    }, Config)
    gateway = Gateway(config)
    mock = Mock()
    for target in gateway.router.targets:
        object.__setattr__(target, "provider", mock)
    gateway.providers = {"api": mock}
    await gateway.start()
    _, secret = gateway.governor.keys.create({"name": "bench", "team": "perf"})
    request = msgspec.convert({"model": "mock-gpt", "stream": STREAM,
        "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 16},
        ChatCompletionRequest)
    start = getattr(gateway.pipeline, "run", None) or gateway.pipeline.start_chat
    async def one():
        answer = await start(request, secret)
        async for _ in answer.deltas():
            pass
        await answer.recorded()
    async def batch():  # 32 at a time, as under load: ledger commits are shared
        await asyncio.gather(*(one() for _ in range(32)))
    for _ in range(20):
        await batch()
    best = None
    for _ in range(ROUNDS):
        gateway.ledger.flush()
        began = time.thread_time()
        for _ in range(N // 32):
            await batch()
        gateway.ledger.flush()
        spent = (time.thread_time() - began) / (N // 32 * 32) * 1e6
        best = spent if best is None else min(best, spent)
    await gateway.stop()
    print(json.dumps({"us_per_trip": best}))

asyncio.run(main())
"""


def measure(src: Path, requests: int, rounds: int, mode: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(requests), str(rounds), mode],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return float(json.loads(out.strip().splitlines()[-1])["us_per_trip"])


def instructions(src: Path, requests: int, mode: str) -> int:
    """Instructions executed by a whole child run (start-up included) under callgrind."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--separate-threads=yes",
             f"--callgrind-out-file={out}/cg.out",
             sys.executable, "-c", CHILD, str(requests), "1", mode],
            env={**os.environ, "PYTHONPATH": str(src)}, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
        main_thread = next(Path(out).glob("cg.out*-01"))
        for line in main_thread.read_text(errors="replace").splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError("no instruction count in callgrind's output")


def per_trip_instructions(src: Path, mode: str) -> float:
    small, large = 320, 1280
    return (instructions(src, large, mode) - instructions(src, small, mode)) / (large - small)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", required=True, help="git ref to compare against")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--instructions", action="store_true", help="count, under callgrind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", args.baseline, "src"],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", work], input=archive, check=True)
        base_src = Path(work) / "src"
        if args.instructions:
            print(f"| mode | {args.baseline} instructions/trip | this checkout | ratio |")
            print("|---|---:|---:|---:|")
            for mode in ("json", "stream"):
                base_n = per_trip_instructions(base_src, mode)
                mine_n = per_trip_instructions(REPO / "src", mode)
                print(f"| {mode} | {base_n:,.0f} | {mine_n:,.0f} | {mine_n / base_n:.3f}x |")
            return
        print(f"| mode | {args.baseline} µs/trip | this checkout µs/trip | ratio |")
        print("|---|---:|---:|---:|")
        for mode in ("json", "stream"):
            # Interleaved, twice each, so a busy neighbour hurts both sides alike.
            base = min(measure(base_src, args.requests, args.rounds, mode) for _ in range(2))
            mine = min(measure(REPO / "src", args.requests, args.rounds, mode) for _ in range(2))
            print(f"| {mode} | {base:.1f} | {mine:.1f} | {mine / base:.2f}x |")


if __name__ == "__main__":
    main()
