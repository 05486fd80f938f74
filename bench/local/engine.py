"""The embedded engine's prompt and generation speed through the real gateway (HTTP, streamed),
next to llama.cpp's own tools on the same GGUF, in one run:

  llama-bench            prompt (pp) and generation (tg) tokens/s, no HTTP
  llama-server           the same streamed requests as Switchgear gets: single stream, c=1/4/8
  llama-cpp-python       in-process decode loop (Switchgear's binding, no HTTP, no scheduling)
  switchgear serve       the embedded model through /v1/chat/completions (stream, usage)

then: how long a short request waits behind a long one (and whether the long stream keeps
moving), and what a full queue answers (status, Retry-After).

    .venv/bin/python bench/local/engine.py [--quick] [--threads 1]

llama.cpp binaries come from scripts/build-llama-server.sh (~/.cache/switchgear/
llama.cpp-<version>/bin, or $SWITCHGEAR_LLAMA_CPP_BIN); missing ones are skipped. Everything
binds 127.0.0.1; every loop is bounded in count and time. Engines run one after another, never
side by side, so they do not share the 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench" / "gateway"))

from harness import PYTHON, Fleet, Server, free_port, http, load_average  # noqa: E402
from stream_probe import _Chunked  # noqa: E402

MODEL = "smollm2-135m-instruct"
SHORT_PROMPTS = [
    "What is the capital of France?",
    "Name three colours.",
    "What is 7 times 8?",
    "Say hello in Spanish.",
    "What is a gateway?",
    "Give me a synonym for happy.",
    "What colour is the sky?",
    "Name a fruit that is yellow.",
]


def llama_bin_dir() -> Path | None:
    env = os.environ.get("SWITCHGEAR_LLAMA_CPP_BIN")
    if env:
        return Path(env)
    text = (REPO / "pyproject.toml").read_text()
    version = text.split("llama-cpp-python==", 1)[1].split('"', 1)[0]
    path = Path.home() / ".cache" / "switchgear" / f"llama.cpp-{version}" / "bin"
    return path if path.is_dir() else None


def long_prompt(words: int, nonce: int) -> str:
    rng = random.Random(nonce)
    nouns = ["river", "engine", "garden", "library", "signal", "harbour", "lantern", "market"]
    parts = [f"Note {nonce}."]
    while len(parts) < words // 6:
        parts.append(f"The {rng.choice(nouns)} number {rng.randint(1, 999)} was quiet today.")
    return " ".join(parts) + " Summarise these notes in one sentence."


# -- one streamed request -------------------------------------------------------------------


@dataclass
class Streamed:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    started: float = 0.0
    first: float | None = None  # first content token
    last: float | None = None
    ended: float = 0.0
    chunks: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    arrivals: list[float] = field(default_factory=list)

    @property
    def ttft(self) -> float | None:
        return None if self.first is None else self.first - self.started

    @property
    def tokens(self) -> int:
        return self.completion_tokens if self.completion_tokens is not None else self.chunks

    def decode_rate(self) -> float | None:
        if self.first is None or self.last is None or self.tokens < 3 or self.last <= self.first:
            return None
        return (self.tokens - 1) / (self.last - self.first)


# Extra body fields per engine: llama-server reuses a cached prompt prefix (the chat template's
# system prompt) unless told not to; Switchgear evaluates every prompt in full, so the fair
# comparison turns llama-server's cache off. `--llama-prompt-cache` keeps it on.
EXTRA: dict[str, dict[str, Any]] = {}


async def stream_chat(
    base: str, model: str, content: str, max_tokens: int, key: str | None = None, seed: int = 1
) -> Streamed:
    parts = urlsplit(base.rstrip("/") + "/chat/completions")
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    payload = {
        "model": model,
        "messages": [{"role": "user", "content": content}],
        "max_tokens": max_tokens,
        "temperature": 0,
        "seed": seed,
        "stream": True,
        "stream_options": {"include_usage": True},
        **EXTRA.get(base, {}),
    }
    body = json.dumps(payload).encode()
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    )
    if key:
        head += f"Authorization: Bearer {key}\r\n"
    out = Streamed(started=time.perf_counter())
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write((head + "\r\n").encode() + body)
        await writer.drain()
        raw_head = await reader.readuntil(b"\r\n\r\n")
        out.status = int(raw_head.split(b" ", 2)[1])
        for line in raw_head.split(b"\r\n")[1:]:
            if b":" in line:
                k, v = line.split(b":", 1)
                out.headers[k.strip().lower().decode()] = v.strip().decode()
        chunked = out.headers.get("transfer-encoding", "").lower() == "chunked"
        decoder = _Chunked()
        pending = b""
        while True:
            data = await reader.read(65536)
            now = time.perf_counter()
            if not data:
                break
            piece = decoder.feed(data) if chunked else data
            out.body += piece
            pending += piece
            while b"\n\n" in pending:
                event, pending = pending.split(b"\n\n", 1)
                _take_event(out, event, now)
            if chunked and decoder.done:
                break
    finally:
        writer.close()
    out.ended = time.perf_counter()
    return out


def _take_event(out: Streamed, event: bytes, now: float) -> None:
    if not event.startswith(b"data: {"):
        return
    data = json.loads(event[6:])
    usage = data.get("usage")
    if usage:
        out.prompt_tokens = usage.get("prompt_tokens")
        out.completion_tokens = usage.get("completion_tokens")
    for choice in data.get("choices") or ():
        if (choice.get("delta") or {}).get("content"):
            out.chunks += 1
            out.arrivals.append(now)
            if out.first is None:
                out.first = now
            out.last = now


# -- measurements ---------------------------------------------------------------------------


async def single_stream(base: str, model: str, key: str | None, repeats: int) -> dict[str, Any]:
    """Prompt speed from a ~400-token prompt (prompt tokens / time to first token), decode
    speed from a 128-token answer (tokens after the first / time between first and last)."""
    prompt_rates, decode_rates, decode_tokens = [], [], []
    for i in range(repeats):
        nonce = random.randint(1000, 9999)
        p = await stream_chat(base, model, long_prompt(400, nonce), 1, key, seed=nonce)
        if p.status == 200 and p.prompt_tokens and p.ttft:
            prompt_rates.append(p.prompt_tokens / p.ttft)
        d = await stream_chat(
            base,
            model,
            f"({nonce}) Write a long story about a dragon who learns to bake bread.",
            128,
            key,
            seed=i + 1,
        )
        rate = d.decode_rate() if d.status == 200 else None
        if rate:
            decode_rates.append(rate)
            decode_tokens.append(d.tokens)
    return {
        "prompt_tps": max(prompt_rates) if prompt_rates else None,
        "decode_tps": max(decode_rates) if decode_rates else None,
        "decode_tokens": decode_tokens,
    }


async def concurrent(
    base: str, model: str, key: str | None, concurrency: int, total: int, max_tokens: int
) -> dict[str, Any]:
    """Closed loop of short chats; aggregate generated tokens/s over the whole wall time."""
    quota = [total]
    results: list[Streamed] = []
    deadline = time.perf_counter() + 180

    async def worker(w: int) -> None:
        while quota[0] > 0 and time.perf_counter() < deadline:
            quota[0] -= 1
            n = len(results) + w
            prompt = f"{SHORT_PROMPTS[n % len(SHORT_PROMPTS)]} ({random.randint(100, 999)})"
            results.append(await stream_chat(base, model, prompt, max_tokens, key, seed=n + 1))

    start = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    wall = time.perf_counter() - start
    ok = [r for r in results if r.status == 200]
    tokens = sum(r.tokens for r in ok)
    ttfts = sorted(r.ttft for r in ok if r.ttft is not None)
    per_stream = [r.decode_rate() for r in ok if r.decode_rate()]
    return {
        "concurrency": concurrency,
        "requests": len(results),
        "ok": len(ok),
        "tokens": tokens,
        "aggregate_tps": tokens / wall if wall else None,
        "per_stream_tps": sum(per_stream) / len(per_stream) if per_stream else None,
        "ttft_p50_ms": 1000 * ttfts[len(ttfts) // 2] if ttfts else None,
        "ttft_max_ms": 1000 * ttfts[-1] if ttfts else None,
        "statuses": sorted({r.status for r in results}),
    }


async def head_of_line(base: str, model: str, key: str | None) -> dict[str, Any]:
    """A short request arriving while a long answer streams: its wait, and the long stream's
    largest gap while both run."""
    alone = await stream_chat(base, model, "Say hi.", 8, key)
    long_task = asyncio.ensure_future(
        stream_chat(
            base, model, "Write a very long story about a lighthouse keeper.", 300, key, seed=7
        )
    )
    await asyncio.sleep(0.6)
    t_short = time.perf_counter()
    short = await stream_chat(base, model, "Say hi.", 8, key)
    short_done = time.perf_counter()
    long = await long_task
    during = [t for t in long.arrivals if t_short <= t <= short_done + 0.2]
    gaps = [b - a for a, b in zip(long.arrivals, long.arrivals[1:], strict=False)]
    gaps_during = [
        b - a for a, b in zip(long.arrivals, long.arrivals[1:], strict=False) if t_short <= b
    ][: max(1, len(during))]
    return {
        "short_alone_ttft_ms": _ms(alone.ttft),
        "short_alone_total_ms": _ms(alone.ended - alone.started),
        "short_behind_long_ttft_ms": _ms(short.ttft),
        "short_behind_long_total_ms": _ms(short.ended - short.started),
        "long_tokens": long.tokens,
        "long_tokens_while_short_ran": len(during),
        "long_max_gap_ms_while_short_ran": _ms(max(gaps_during) if gaps_during else None),
        "long_median_gap_ms": _ms(sorted(gaps)[len(gaps) // 2] if gaps else None),
        "long_finished_after_short": long.ended > short_done,
    }


async def queue_full(base: str, model: str, key: str | None, burst: int) -> dict[str, Any]:
    results = await asyncio.gather(
        *(stream_chat(base, model, f"Count to twenty. ({i})", 48, key) for i in range(burst))
    )
    statuses: dict[int, int] = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    rejected = [r for r in results if r.status != 200]
    sample = rejected[0] if rejected else None
    return {
        "burst": burst,
        "statuses": statuses,
        "retry_after": sample.headers.get("retry-after") if sample else None,
        "reject_ms": _ms(sample.ended - sample.started) if sample else None,
        "body": sample.body[:240].decode(errors="replace") if sample else None,
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# -- engines ----------------------------------------------------------------------------------


def llama_bench(bin_dir: Path, gguf: str, threads: int, repeats: int) -> dict[str, Any] | None:
    exe = bin_dir / "llama-bench"
    if not exe.exists():
        return None
    help_text = subprocess.run([str(exe), "--help"], capture_output=True, text=True).stdout
    argv = [str(exe), "-m", gguf, "-t", str(threads), "-p", "400", "-n", "128"]
    argv += ["-r", str(repeats), "-o", "json"]
    # Flash attention off and no weight repacking, as the issue asks (flags differ by version).
    argv += ["-fa", "off" if "on|off" in help_text else "0"]
    if "--repack" in help_text:
        argv += ["--repack", "0"]
    elif "--no-repack" in help_text:
        argv += ["-nr", "1"]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    run = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env)
    if run.returncode != 0:
        print(f"llama-bench failed: {run.stderr[-800:]}", file=sys.stderr)
        return None
    rows = json.loads(run.stdout)
    out: dict[str, Any] = {"argv": " ".join(argv[1:])}
    for row in rows:
        kind = "prompt_tps" if row.get("n_prompt") else "decode_tps"
        out[kind] = row.get("avg_ts")
    return out


def start_llama_server(
    fleet: Fleet, bin_dir: Path, gguf: str, threads: int, parallel: int
) -> Server | None:
    exe = bin_dir / "llama-server"
    if not exe.exists():
        return None
    port = free_port()
    argv = [str(exe), "-m", gguf, "--host", "127.0.0.1", "--port", str(port)]
    argv += ["-t", str(threads), "-tb", str(threads), "-c", str(2048 * parallel)]
    argv += ["-np", str(parallel), "-fa", "off", "--no-repack", "--no-webui"]
    help_text = subprocess.run([str(exe), "--help"], capture_output=True, text=True).stdout
    argv = [a for a in argv if not a.startswith("--no-") or a in help_text]
    process, log = fleet._spawn("llama-server", argv, {"OMP_WAIT_POLICY": "PASSIVE"})
    root = f"http://127.0.0.1:{port}"
    fleet._wait("llama-server", process, lambda: http("GET", root + "/health")[0] == 200, 120)
    server = Server("llama-server", root + "/v1", process, model=MODEL, log=log)
    fleet.servers["llama-server"] = server
    return server


def start_switchgear(
    fleet: Fleet, threads: int, name: str, model_extra: dict[str, Any] | None = None
) -> Server:
    port = free_port()
    data = fleet.work / f"{name}-data"
    data.mkdir()
    lines = ["server:", "  host: 127.0.0.1", f"  port: {port}", "models:"]
    lines += [f"  - id: {MODEL}", "    path: embedded", f"    threads: {threads}"]
    lines += [f"    {k}: {v}" for k, v in (model_extra or {}).items()]
    config = fleet.work / f"{name}.yaml"
    config.write_text("\n".join(lines) + "\n")
    argv = [PYTHON, "-m", "switchgear.cli", "serve", "--config", str(config), "--port", str(port)]
    env = {"SWITCHGEAR_DATA_DIR": str(data), "SWITCHGEAR_ADMIN_KEY": ""}
    process, log = fleet._spawn(name, argv, env)
    root = f"http://127.0.0.1:{port}"
    fleet._wait(name, process, lambda: http("GET", root + "/readyz")[0] == 200, 180)
    server = Server(name, root + "/v1", process, model=MODEL, log=log)
    fleet.servers[name] = server
    return server


IN_PROCESS = r"""
import json, sys, time
from llama_cpp import Llama
from switchgear.providers.plugin import embedded_model_path
threads = int(sys.argv[1])
llama = Llama(embedded_model_path(), n_ctx=2048, n_threads=threads, n_threads_batch=threads,
              flash_attn=False, verbose=False)
prompt = llama.tokenize(b"<|im_start|>user\nWrite a long story about a dragon who learns to bake "
                        b"bread.<|im_end|>\n<|im_start|>assistant\n", add_bos=False, special=True)
best = 0.0
for _ in range(int(sys.argv[2])):
    llama.reset()
    n, first = 0, None
    for _tok in llama.generate(prompt, temp=0.0):
        n += 1
        if first is None:
            first = time.perf_counter()
        if n >= 128:
            break
    best = max(best, (n - 1) / (time.perf_counter() - first))
print(json.dumps({"decode_tps": best}))
"""


def in_process(threads: int, repeats: int) -> dict[str, Any] | None:
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    run = subprocess.run(
        [PYTHON, "-c", IN_PROCESS, str(threads), str(repeats)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    if run.returncode != 0:
        print(f"in-process run failed: {run.stderr[-600:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def measure_server(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    base, model, key = server.base_url, server.model, server.key
    out: dict[str, Any] = {}
    asyncio.run(stream_chat(base, model, "Warm up.", 4, key))
    out["single"] = asyncio.run(single_stream(base, model, key, args.repeats))
    out["levels"] = {}
    for c in (1, 4, 8):
        total = {1: args.chats, 4: args.chats * 2, 8: args.chats * 3}[c]
        out["levels"][c] = asyncio.run(concurrent(base, model, key, c, total, args.chat_tokens))
        print(f"  {server.name} c={c}: {_fmt(out['levels'][c]['aggregate_tps'])} tok/s", flush=True)
    out["hol"] = asyncio.run(head_of_line(base, model, key))
    return out


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if not a or not b else f"{a / b:.2f}x"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    parser.add_argument("--chat-tokens", type=int, default=64)
    parser.add_argument("--skip-llama-server", action="store_true")
    parser.add_argument(
        "--llama-prompt-cache", action="store_true", help="leave llama-server's prefix cache on"
    )
    parser.add_argument("--json-out")
    args = parser.parse_args()
    args.repeats = 2 if args.quick else 3
    args.chats = 4 if args.quick else 8

    from switchgear.providers.plugin import embedded_model_path

    gguf = embedded_model_path()
    bin_dir = llama_bin_dir()
    print(f"# {' '.join(sys.argv)}")
    print(
        f"date {time.strftime('%Y-%m-%dT%H:%M:%S%z')}, {os.cpu_count()} cores, load average "
        f"{load_average()}, threads {args.threads}, GGUF {Path(gguf).name}, "
        f"llama.cpp bin {bin_dir or 'missing (scripts/build-llama-server.sh)'}"
    )
    report: dict[str, Any] = {"threads": args.threads}
    if bin_dir:
        report["llama_bench"] = llama_bench(bin_dir, gguf, args.threads, args.repeats + 1)
        print(f"llama-bench: {report['llama_bench']}", flush=True)
    report["in_process"] = in_process(args.threads, args.repeats)
    print(f"llama-cpp-python in-process: {report['in_process']}", flush=True)
    with Fleet() as fleet:
        if bin_dir and not args.skip_llama_server:
            server = start_llama_server(fleet, bin_dir, gguf, args.threads, 8)
            if server:
                if not args.llama_prompt_cache:
                    EXTRA[server.base_url] = {"cache_prompt": False}
                report["llama_server"] = measure_server(server, args)
                fleet.stop_one("llama-server")
        sg = start_switchgear(fleet, args.threads, "switchgear")
        report["switchgear"] = measure_server(sg, args)
        fleet.stop_one("switchgear")
        small = start_switchgear(
            fleet, args.threads, "switchgear-queue", {"parallel": 1, "max_queue": 1}
        )
        report["queue_full"] = asyncio.run(queue_full(small.base_url, MODEL, None, 8))
        fleet.stop_one("switchgear-queue")
    print_report(report)
    print(f"\nload average at end: {load_average()}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2, default=str))
    return 0


def print_report(r: dict[str, Any]) -> None:
    sg = r.get("switchgear", {})
    ls = r.get("llama_server", {})
    lb = r.get("llama_bench") or {}
    ip = r.get("in_process") or {}
    print(f"\n#### Single stream, {r['threads']} thread(s)\n")
    print("| engine | prompt tok/s | decode tok/s | Switchgear decode ÷ this |")
    print("|---|---:|---:|---:|")
    sg_decode = sg.get("single", {}).get("decode_tps")
    rows = [
        ("llama-bench (pp400 / tg128, no HTTP)", lb.get("prompt_tps"), lb.get("decode_tps")),
        ("llama-server (HTTP, streamed)", *_single(ls)),
        ("llama-cpp-python in-process (no HTTP)", None, ip.get("decode_tps")),
        ("Switchgear embedded (HTTP, streamed)", *_single(sg)),
    ]
    for name, prompt, decode in rows:
        print(f"| {name} | {_fmt(prompt)} | {_fmt(decode)} | {_ratio(sg_decode, decode)} |")
    print("\n#### Short chats (max_tokens 64), aggregate generated tokens/s\n")
    print(
        "| engine | c | requests ok | aggregate tok/s | x own c=1 | per-stream tok/s "
        "| TTFT p50 ms | TTFT max ms | statuses |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, data in (("llama-server", ls), ("Switchgear", sg)):
        levels = data.get("levels", {})
        base = levels.get(1, {}).get("aggregate_tps")
        for c, lv in levels.items():
            print(
                f"| {name} | {c} | {lv['ok']}/{lv['requests']} | {_fmt(lv['aggregate_tps'])} | "
                f"{_ratio(lv['aggregate_tps'], base)} | {_fmt(lv['per_stream_tps'])} | "
                f"{_fmt(lv['ttft_p50_ms'], 0)} | {_fmt(lv['ttft_max_ms'], 0)} | "
                f"{lv['statuses']} |"
            )
    print("\n#### A short request behind a long answer (300 tokens)\n")
    print(
        "| engine | short alone: TTFT / total ms | behind long: TTFT / total ms "
        "| long tokens while short ran | long max gap ms then | long median gap ms |"
    )
    print("|---|---|---|---:|---:|---:|")
    for name, data in (("llama-server", ls), ("Switchgear", sg)):
        h = data.get("hol")
        if not h:
            continue
        print(
            f"| {name} | {h['short_alone_ttft_ms']} / {h['short_alone_total_ms']} | "
            f"{h['short_behind_long_ttft_ms']} / {h['short_behind_long_total_ms']} | "
            f"{h['long_tokens_while_short_ran']} | {h['long_max_gap_ms_while_short_ran']} | "
            f"{h['long_median_gap_ms']} |"
        )
    q = r.get("queue_full")
    if q:
        print("\n#### Full queue (parallel 1, max_queue 1, a burst of 8 streamed requests)\n")
        print(
            f"statuses {q['statuses']}, Retry-After {q['retry_after']!r}, rejected in "
            f"{q['reject_ms']} ms, body: {q['body']}"
        )


def _single(data: dict[str, Any]) -> tuple[float | None, float | None]:
    single = data.get("single", {})
    return single.get("prompt_tps"), single.get("decode_tps")


if __name__ == "__main__":
    sys.exit(main())
