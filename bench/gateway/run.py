"""Switchgear next to the direct path, a minimal Python proxy, TensorZero and LiteLLM, all in
front of the same loopback mock upstream, measured by the same load generator in one run.

    .venv/bin/python bench/gateway/run.py --quick          # ~3-5 minutes
    .venv/bin/python bench/gateway/run.py                  # 2,000 requests per cell
    .venv/bin/python bench/gateway/run.py --soak           # memory: 100k requests at c=32
    .venv/bin/python bench/gateway/run.py --profile        # py-spy under load at c=32

For each of non-streaming and streaming and each concurrency (1, 32, 256) it prints RPS, the
latency each gateway adds over the direct path (p50/p99), server CPU-ms per request and RSS,
and the ratios that stay meaningful on a shared machine: CPU against the minimal proxy,
TensorZero and LiteLLM. Then streams through a paced upstream (a token every 10 ms) for the
time to first token each gateway adds and the gaps between chunks (Nagle/delayed-ACK stalls),
and the shared tcp_quickack_check. Switchgear runs its full pipeline: a virtual key checked on
every request, routing, the SQLite ledger; no guards.

Peers are skipped when their venvs are missing (make them with bench-peers' `run.sh`).
Every loop is bounded by a request count and a time cap; every address is 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import PYTHON, Fleet, Server, load_average, proc_usage
from stream_probe import probe

ALL_TARGETS = ("direct", "minimal", "switchgear", "tensorzero", "litellm")
PACED_TTFT_MS, PACED_GAP_MS, PACED_CHUNKS = 20.0, 10.0, 20


# -- load ---------------------------------------------------------------------------------


def requests_for(target: str, concurrency: int, args: argparse.Namespace) -> int:
    n = args.requests
    if target == "litellm":  # ~20-40 requests/s: keep its cells short
        n = args.litellm_requests
    return min(max(n, 4 * concurrency), 100_000)


def cpu_ms(result: dict[str, Any], name: str) -> float | None:
    proc = result.get("proc", {}).get(name)
    return proc["cpu_ms_per_req"] if proc else None


def rss_mb(result: dict[str, Any], name: str) -> float | None:
    proc = result.get("proc", {}).get(name)
    return proc["rss_mb_after"] if proc else None


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}x"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def target_names(cells: dict[tuple[str, int, str], dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for _, _, name in cells:
        if name not in names:
            names.append(name)
    return names


def print_cells(cells: dict[tuple[str, int, str], dict[str, Any]], levels: list[int]) -> None:
    names = target_names(cells)
    for stream in ("json", "stream"):
        for c in levels:
            row = {t: cells.get((stream, c, t)) for t in names}
            if not any(row.values()):
                continue
            label = "streaming" if stream == "stream" else "non-streaming"
            print(f"\n#### {label}, concurrency {c}\n")
            print(
                "| target | ok | RPS | xdirect RPS | p50 ms | p99 ms | +p50 ms | +p99 ms "
                "| CPU ms/req | xminimal | xTensorZero | LiteLLM / | RSS MB | errors |"
            )
            print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
            direct = row.get("direct")
            cpu = {t: cpu_ms(r, t) if r else None for t, r in row.items()}
            for t, r in row.items():
                if r is None:
                    continue
                added50 = added99 = None
                if direct and t != "direct" and r["p50_ms"] is not None:
                    added50 = r["p50_ms"] - direct["p50_ms"]
                    added99 = r["p99_ms"] - direct["p99_ms"]
                mine = cpu[t] if t != "direct" else cpu_ms(r, "mock")
                litellm_div = _ratio(cpu.get("litellm"), mine) if t != "direct" else "-"
                print(
                    f"| {t} | {r['completed_ok']} | {r['rps']:.0f} | "
                    f"{_ratio(r['rps'], direct['rps'] if direct else None)} | "
                    f"{_fmt(r['p50_ms'])} | {_fmt(r['p99_ms'])} | {_fmt(added50)} | "
                    f"{_fmt(added99)} | {_fmt(mine, 3)}{' (mock)' if t == 'direct' else ''} | "
                    f"{_ratio(mine, cpu.get('minimal')) if t != 'direct' else '-'} | "
                    f"{_ratio(mine, cpu.get('tensorzero')) if t != 'direct' else '-'} | "
                    f"{litellm_div} | "
                    f"{_fmt(rss_mb(r, t) if t != 'direct' else rss_mb(r, 'mock'), 0)} | "
                    f"{r['errors'] or '-'} |"
                )


def print_headline(cells: dict[tuple[str, int, str], dict[str, Any]], levels: list[int]) -> None:
    print("\n#### Headline: Switchgear server CPU-ms per request against the others, same run\n")
    print(
        "| variant | mode | conc | Switchgear | minimal | TensorZero | LiteLLM "
        "| xTensorZero (<=1.0) | LiteLLM / Switchgear (>=30) | xminimal | xbaseline "
        "| +p50 ms | +p99 ms |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    variants = [n for n in target_names(cells) if n.startswith(("switchgear", "sg+", "baseline"))]
    for stream in ("json", "stream"):
        for c in levels:
            for variant in variants:
                _headline_row(cells, stream, c, variant)


def _headline_row(
    cells: dict[tuple[str, int, str], dict[str, Any]], stream: str, c: int, variant: str
) -> None:
    sg = cells.get((stream, c, variant))
    if sg is None:
        return
    direct = cells.get((stream, c, "direct"))
    values = {
        t: cpu_ms(cells[(stream, c, t)], t) if (stream, c, t) in cells else None
        for t in ("minimal", "tensorzero", "litellm", "baseline")
    }
    mine = cpu_ms(sg, variant)
    added = (
        (sg["p50_ms"] - direct["p50_ms"], sg["p99_ms"] - direct["p99_ms"])
        if direct and sg["p50_ms"] is not None
        else (None, None)
    )
    print(
        f"| {variant} | {stream} | {c} | {_fmt(mine, 3)} | "
        f"{_fmt(values['minimal'], 3)} | {_fmt(values['tensorzero'], 3)} | "
        f"{_fmt(values['litellm'], 2)} | {_ratio(mine, values['tensorzero'])} | "
        f"{_ratio(values['litellm'], mine)} | {_ratio(mine, values['minimal'])} | "
        f"{_ratio(mine, values['baseline'])} | {_fmt(added[0])} | {_fmt(added[1])} |"
    )


# -- streams: time to first token, gaps, quick-ack check -------------------------------------


def stream_checks(
    fleet: Fleet, paced: Server, targets: dict[str, Server], args: argparse.Namespace
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    levels = [(1, args.probe_requests), (32, max(64, args.probe_requests * 4))]
    print(
        f"\n#### Streams through a paced upstream (first token after {PACED_TTFT_MS:.0f} ms, "
        f"then one every {PACED_GAP_MS:.0f} ms, {PACED_CHUNKS} chunks)\n"
    )
    print(
        "| target | conc | streams | TTFT p50 ms | TTFT p99 ms | +TTFT p50 ms | +TTFT p99 ms "
        "| gap p50 ms | gap p99 ms | gap max ms | stalls (gap > 35 ms) | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for concurrency, n in levels:
        base: dict[str, Any] | None = None
        for name, server in targets.items():
            model = server.paced_model
            if name == "direct":
                model, url = "mock-model", paced.base_url
            elif name == "minimal":
                url = server.base_url
                model = server.model
            else:
                url = server.base_url
            if model is None:
                continue
            result = asyncio.run(probe(url, model, server.key, n, concurrency, 120))
            summary = result.summary(PACED_GAP_MS)
            out[f"{name}@{concurrency}"] = summary
            if name == "direct":
                base = summary
            added = (
                (
                    summary["ttft_p50_ms"] - base["ttft_p50_ms"],
                    summary["ttft_p99_ms"] - base["ttft_p99_ms"],
                )
                if base and name != "direct"
                else (None, None)
            )
            print(
                f"| {name} | {concurrency} | {summary['requests']} | {summary['ttft_p50_ms']} | "
                f"{summary['ttft_p99_ms']} | {_fmt(added[0])} | {_fmt(added[1])} | "
                f"{summary['gap_p50_ms']} | {summary['gap_p99_ms']} | {summary['gap_max_ms']} | "
                f"{summary['stalls']}/{summary['gaps']} | {summary['errors']} |"
            )
    return out


def quickack_checks(fleet: Fleet, targets: dict[str, Server], n: int) -> dict[str, Any]:
    """bench-peers' tcp_quickack_check: sequential streams on one connection, without and with
    TCP_QUICKACK on the client; many >30 ms requests only without it = Nagle/delayed-ACK."""
    print(f"\n#### tcp_quickack_check (shared mock, {n} sequential streams on one connection)\n")
    print("| target | quickack | p50 ms | p90 ms | p99 ms | requests > 30 ms |")
    print("|---|---|---:|---:|---:|---:|")
    out: dict[str, Any] = {}
    for name, server in targets.items():
        argv = [
            PYTHON,
            str(fleet.peers / "tcp_quickack_check.py"),
            "--url",
            server.base_url,
            "--model",
            server.model,
            "-n",
            str(n),
        ]
        if server.key:
            argv += ["--key", server.key]
        try:
            text = subprocess.run(
                argv, capture_output=True, text=True, timeout=180, check=True
            ).stdout
        except (subprocess.SubprocessError, OSError) as error:
            print(f"| {name} | error: {error} | | | | |")
            continue
        for line in text.strip().splitlines():
            fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
            slow = line.rsplit("requests>30ms=", 1)[-1]
            out[f"{name}:{fields.get('quickack')}"] = {**fields, "slow": slow}
            print(
                f"| {name} | {fields.get('quickack')} | {fields.get('p50')} | "
                f"{fields.get('p90')} | {fields.get('p99')} | {slow} |"
            )
    return out


# -- modes --------------------------------------------------------------------------------


def baseline_source(ref: str, work: Path) -> Path:
    """The `src/` of another commit (e.g. the one before a change), extracted with git archive,
    so both run in one measurement with the same interpreter and dependencies."""
    repo = Path(__file__).resolve().parents[2]
    into = work / "baseline"
    into.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", ref, "src"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def compare(args: argparse.Namespace) -> dict[str, Any]:
    wanted = [t.strip() for t in args.targets.split(",") if t.strip()]
    levels = [int(c) for c in args.concurrency.split(",")]
    modes = [m for m in args.modes.split(",") if m in ("json", "stream")]
    cells: dict[tuple[str, int, str], dict[str, Any]] = {}
    report: dict[str, Any] = {"started": _now(), "load_before": load_average()}
    with Fleet(keep_logs=args.keep_logs) as fleet:
        mock = fleet.start_mock()
        paced = fleet.start_paced(PACED_TTFT_MS, PACED_GAP_MS, PACED_CHUNKS)
        targets: dict[str, Server] = {}
        paced_targets: dict[str, Server] = {}
        if "direct" in wanted:
            targets["direct"] = mock
            paced_targets["direct"] = paced
        if "minimal" in wanted and (s := fleet.start_minimal(mock.base_url)):
            targets["minimal"] = s
            if p := fleet.start_minimal(paced.base_url, name="minimal-paced"):
                paced_targets["minimal"] = p
        if "switchgear" in wanted:
            s = fleet.start_switchgear(mock.base_url, paced.base_url, pool=args.pool)
            targets["switchgear"] = paced_targets["switchgear"] = s
        if args.baseline:
            src = baseline_source(args.baseline, fleet.work)
            s = fleet.start_switchgear(
                mock.base_url, paced.base_url, pool=args.pool, name="baseline", src=src
            )
            targets["baseline"] = paced_targets["baseline"] = s
        for patches in args.whatif or ():
            name = "sg+" + patches.replace(",", "+")
            s = fleet.start_switchgear(
                mock.base_url, paced.base_url, pool=args.pool, name=name, patches=patches
            )
            targets[name] = paced_targets[name] = s
        if "tensorzero" in wanted and (s := fleet.start_tensorzero(mock.base_url, paced.base_url)):
            targets["tensorzero"] = paced_targets["tensorzero"] = s
        if "litellm" in wanted and (s := fleet.start_litellm(mock.base_url, paced.base_url)):
            targets["litellm"] = paced_targets["litellm"] = s
        print(f"servers up: {', '.join(f'{n} pid {s.pid}' for n, s in targets.items())}")
        print(f"logs in {fleet.work}" if args.keep_logs else "")
        time.sleep(1.0)
        for mode in modes:
            for c in levels:
                for name, server in targets.items():
                    n = requests_for(name, c, args)
                    result = fleet.loadgen(
                        server,
                        mock,
                        c,
                        n,
                        max_seconds=args.max_seconds,
                        warmup=min(args.warmup, n),
                        stream=mode == "stream",
                        name=name,
                    )
                    cells[(mode, c, name)] = result
                    print(
                        f"  {mode:6} c={c:<3} {name:11} {result['rps']:8.1f} rps  "
                        f"p50 {result['p50_ms']} ms  cpu/req "
                        f"{cpu_ms(result, name if name != 'direct' else 'mock')} ms  "
                        f"errors {result['errors'] or '-'}",
                        flush=True,
                    )
        print_cells(cells, levels)
        print_headline(cells, levels)
        if not args.skip_streams:
            report["streams"] = stream_checks(fleet, paced, paced_targets, args)
            report["quickack"] = quickack_checks(fleet, targets, args.quickack_requests)
    report["load_after"] = load_average()
    report["cells"] = {f"{m}/{c}/{t}": r for (m, c, t), r in cells.items()}
    print(f"\nload average before: {report['load_before']}, after: {report['load_after']}")
    return report


def soak(args: argparse.Namespace) -> dict[str, Any]:
    """RSS of Switchgear every `--soak-batch` requests at c=`--soak-concurrency`."""
    total, batch = min(args.soak_requests, 1_000_000), args.soak_batch
    rows = []
    with Fleet(keep_logs=args.keep_logs) as fleet:
        mock = fleet.start_mock()
        sg = fleet.start_switchgear(mock.base_url, pool=args.pool)
        _, rss0 = proc_usage(sg.pid)
        print(f"switchgear pid {sg.pid}, RSS after start {rss0:.1f} MB; {total} requests")
        print("\n| requests so far | RPS | CPU ms/req | RSS MB | ΔRSS vs first batch MB | errors |")
        print("|---:|---:|---:|---:|---:|---|")
        done = 0
        first_rss = None
        deadline = time.monotonic() + args.soak_max_seconds
        while done < total and time.monotonic() < deadline:
            n = min(batch, total - done)
            stream = args.soak_stream and (done // batch) % 2 == 1
            result = fleet.loadgen(
                sg,
                mock,
                args.soak_concurrency,
                n,
                max_seconds=600,
                warmup=0,
                stream=stream,
                name="switchgear",
            )
            done += n
            _, rss = proc_usage(sg.pid)
            first_rss = rss if first_rss is None else first_rss
            rows.append({"done": done, "rss_mb": rss, **result})
            print(
                f"| {done} | {result['rps']:.0f} | {cpu_ms(result, 'switchgear')} | {rss:.1f} | "
                f"{rss - first_rss:+.1f} | {result['errors'] or '-'} |",
                flush=True,
            )
    growth = rows[-1]["rss_mb"] - rows[0]["rss_mb"] if rows else 0.0
    flat = growth <= max(10.0, 0.05 * rows[0]["rss_mb"]) if rows else False
    print(
        f"\nRSS after the first {batch} requests {rows[0]['rss_mb']:.1f} MB, after {done}: "
        f"{rows[-1]['rss_mb']:.1f} MB ({growth:+.1f} MB): {'FLAT' if flat else 'GROWING'}"
        f"\nload average: {load_average()}"
    )
    return {"rows": rows, "growth_mb": growth, "flat": flat}


def profile(args: argparse.Namespace) -> dict[str, Any]:
    """py-spy samples Switchgear while loadgen drives it at c=32 (non-streaming by default)."""
    from profile_report import report as profile_summary

    spy = Path(PYTHON).with_name("py-spy")
    if not spy.exists():
        raise SystemExit(f"py-spy not found at {spy}: .venv/bin/pip install py-spy")
    out_dir = Path(args.profile_out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    with Fleet(keep_logs=args.keep_logs) as fleet:
        mock = fleet.start_mock()
        sg = fleet.start_switchgear(mock.base_url, pool=args.pool, patches=args.profile_patches)
        stamp = "stream" if args.profile_stream else "json"
        if args.profile_patches:
            stamp += "-" + args.profile_patches.replace(",", "+")
        load = subprocess.Popen(
            [
                PYTHON,
                str(fleet.peers / "loadgen.py"),
                "--client",
                "raw",
                "--target",
                f"switchgear={sg.base_url}",
                "--model",
                sg.model,
                "--api-key",
                sg.key or "",
                "--concurrency",
                str(args.profile_concurrency),
                "--requests",
                "100000",
                "--max-seconds",
                str(args.profile_seconds + 8),
                "--warmup",
                "200",
                "--pid",
                f"switchgear={sg.pid}",
                *(["--stream"] if args.profile_stream else []),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)
        raw = out_dir / f"switchgear-c{args.profile_concurrency}-{stamp}.collapsed.txt"
        argv = [
            str(spy),
            "record",
            "--pid",
            str(sg.pid),
            "--duration",
            str(args.profile_seconds),
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(raw),
            "--threads",
        ]
        if args.native:
            argv.append("--native")
        before = thread_cpu(sg.pid)
        started = time.monotonic()
        subprocess.run(argv, check=True, capture_output=True, timeout=args.profile_seconds + 60)
        window = time.monotonic() - started
        after = thread_cpu(sg.pid)
        stdout, _ = load.communicate(timeout=args.profile_seconds + 120)
        lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
        if lines:
            result = json.loads(lines[0])
            print(
                f"under load: {result['rps']} rps, "
                f"{result['proc']['switchgear']['cpu_ms_per_req']} CPU-ms/request "
                f"(py-spy's pauses included)"
            )
        print("\nCPU by thread during the sampling window, from /proc (ground truth):\n")
        print("| thread | CPU s | share of the process | cores busy |")
        print("|---|---:|---:|---:|")
        spent = {k: after[k] - before.get(k, 0.0) for k in after}
        whole = sum(spent.values()) or 1.0
        for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
            if seconds > 0:
                print(
                    f"| {name} | {seconds:.2f} | {100 * seconds / whole:.1f}% | "
                    f"{seconds / window:.2f} |"
                )
        summary = profile_summary(raw.read_text(), top=args.profile_top)
        print(summary)
        print(f"collapsed stacks (flamegraph.pl / speedscope input): {raw}")
        return {"collapsed": str(raw), "summary": summary}


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per thread (name, tid) of one process, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        out[f"{name} ({tid})"] = (int(fields[11]) + int(fields[12])) / tick
    return out


def _now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short run (~3-5 minutes)")
    parser.add_argument("--targets", default=",".join(ALL_TARGETS))
    parser.add_argument("--concurrency", default="1,32,256")
    parser.add_argument("--modes", default="json,stream", help="json, stream or both")
    parser.add_argument("--requests", type=int, help="per cell (default 2000, quick 400)")
    parser.add_argument("--litellm-requests", type=int, help="per cell (default 400, quick 120)")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--max-seconds", type=float, help="per cell (default 60, quick 20)")
    parser.add_argument(
        "--whatif",
        action="append",
        help="also run Switchgear with these bench/gateway/whatif.py patches (repeatable), "
        "e.g. aiohttp,ledger_async",
    )
    parser.add_argument("--pool", type=int, default=256, help="Switchgear upstream connections")
    parser.add_argument("--probe-requests", type=int, help="paced streams at c=1 (default 40)")
    parser.add_argument("--quickack-requests", type=int, help="tcp_quickack_check -n")
    parser.add_argument("--skip-streams", action="store_true")
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument(
        "--baseline", help="also run this git ref's Switchgear (e.g. HEAD~1) as `baseline`"
    )
    parser.add_argument("--json-out", help="write every number here as JSON")
    parser.add_argument("--soak", action="store_true", help="memory soak instead")
    parser.add_argument("--soak-requests", type=int, default=100_000)
    parser.add_argument("--soak-batch", type=int, default=10_000)
    parser.add_argument("--soak-concurrency", type=int, default=32)
    parser.add_argument("--soak-stream", action="store_true", help="alternate json/stream")
    parser.add_argument("--soak-max-seconds", type=float, default=900)
    parser.add_argument("--profile", action="store_true", help="py-spy profile instead")
    parser.add_argument("--profile-seconds", type=int, default=20)
    parser.add_argument("--profile-concurrency", type=int, default=32)
    parser.add_argument("--profile-stream", action="store_true")
    parser.add_argument("--profile-top", type=int, default=25)
    parser.add_argument("--profile-patches", help="profile Switchgear with whatif.py patches")
    parser.add_argument("--profile-out", default="/tmp/switchgear-profile")
    parser.add_argument("--native", action="store_true", help="py-spy --native")
    args = parser.parse_args()
    quick = args.quick
    args.requests = args.requests or (400 if quick else 2000)
    args.litellm_requests = args.litellm_requests or (120 if quick else 400)
    args.max_seconds = args.max_seconds or (20.0 if quick else 60.0)
    args.probe_requests = args.probe_requests or (16 if quick else 40)
    args.quickack_requests = args.quickack_requests or (60 if quick else 200)

    print(f"# {' '.join(sys.argv)}")
    print(
        f"date {_now()}, host {platform.node()}, {os.cpu_count()} cores, "
        f"load average {load_average()}, python {platform.python_version()}"
    )
    if args.soak:
        report = soak(args)
    elif args.profile:
        report = profile(args)
    else:
        report = compare(args)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
