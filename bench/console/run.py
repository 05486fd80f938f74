"""Server time of the console's overview and audit pages over a ledger of 1,000,000 usage
rows (and as many audit entries), against `GET /admin/usage` for the same window as the
baseline measured in the same run.

    .venv/bin/python bench/console/run.py [--rows 1000000] [--rounds 5]

The rows are written straight into the SQLite file (a real gateway would take hours to make
them); the gateway is a real `switchgear serve` on that file, timed over loopback HTTP, so the
figures include the HTTP round trip (well under a millisecond here). Rows are spread over the
last 30 days, 1 in 10 carries guard decisions, 1 in 50 is an error.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.console.conftest import multipart  # noqa: E402
from tests.gateway_process import TEST_ADMIN_KEY, keyed_gateway  # noqa: E402

from switchgear.store.sqlite import open_sqlite_store  # noqa: E402

CONFIG = """
models: [{id: smol, aliases: [default], cost_per_hour: 36}]
governance:
  teams: {blue: {budgets: {daily: 50, monthly: 500}}}
  policies: [{name: red-off-smol, deny: {models: [smol]}, when: {teams: [red]}}]
"""
MODELS = ["smol", "gpt-4o-mini", "claude-haiku", "llama-70b"]
TEAMS = ["blue", "red", "green", "ops", None]
GUARD = json.dumps([{"action": "redact", "entities": {"EMAIL": 1}, "guard": "pii"}])


def fill(db_path: Path, rows: int, now: float) -> float:
    open_sqlite_store(db_path).close()  # the schema, by the store's own migrations
    rng = random.Random(7)
    started = time.perf_counter()
    with sqlite3.connect(db_path) as db:
        batch_usage, batch_audit = [], []
        for n in range(rows):
            created = now - rng.random() * 30 * 86400
            error = n % 50 == 0
            usage = (
                f"req{n:09d}", created, "chat.completions", rng.choice(MODELS), None, "local",
                0, "error" if error else "ok", 500 if error else 200, None,
                rng.randint(10, 800), rng.randint(1, 400), rng.lognormvariate(6, 0.6),
                rng.lognormvariate(4.5, 0.5), None, "chat", "smol@local", f"key_{n % 40}",
                rng.choice(TEAMS), "bot", rng.random() / 100, GUARD if n % 10 == 0 else None,
            )  # fmt: skip
            batch_usage.append(usage)
            batch_audit.append(
                (n + 1, created, "request", f"key_{n % 40}", "chat.completions", f"req{n:09d}",
                 "{}", "0" * 64, "0" * 64)
            )  # fmt: skip
            if len(batch_usage) == 50_000:
                _write(db, batch_usage, batch_audit)
                batch_usage, batch_audit = [], []
        _write(db, batch_usage, batch_audit)
        db.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (rows, "0" * 64))
    return time.perf_counter() - started


def _write(
    db: sqlite3.Connection, usage: list[tuple[object, ...]], audit: list[tuple[object, ...]]
) -> None:
    marks = ", ".join("?" * 22)
    db.executemany(
        "INSERT INTO usage (request_id, created_at, endpoint, model, served_model, provider, "
        "stream, status, http_status, error_code, prompt_tokens, completion_tokens, latency_ms, "
        'ttft_ms, "user", route, target, key_id, team, app, cost, guard) '
        f"VALUES ({marks})",
        usage,
    )
    db.executemany("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", audit)


def timed(client: httpx.Client, path: str, rounds: int, **kwargs: object) -> list[float]:
    client.get(path, **kwargs)  # warm: page cache, template compilation
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        reply = client.get(path, **kwargs)
        out.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200, reply.text[:300]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    now = time.time()
    with tempfile.TemporaryDirectory() as home_text:
        home = Path(home_text)
        seconds = fill(home / "switchgear.db", args.rows, now)
        print(f"filled {args.rows} usage + audit rows in {seconds:.1f}s")
        with keyed_gateway(home, CONFIG) as (gateway, _):
            client = httpx.Client(base_url=gateway.base_url, timeout=600)
            body, headers = multipart({"name": "", "password": TEST_ADMIN_KEY})
            assert client.post("/console/login", content=body, headers=headers).status_code == 303
            admin = {"headers": {"authorization": f"Bearer {TEST_ADMIN_KEY}"}}
            started = time.perf_counter()
            assert client.get("/console/overview?window=day").status_code == 200
            first = (time.perf_counter() - started) * 1000
            print(f"first day/month load (rolls up every existing row once): {first:.0f} ms")
            cases = [
                ("overview hour", "/console/overview?window=hour", {}),
                ("overview day", "/console/overview?window=day", {}),
                ("overview day by team", "/console/overview?window=day&group=team", {}),
                ("overview month (all rows)", "/console/overview?window=month", {}),
                ("audit, newest page", "/console/audit", {}),
                ("audit, search action", "/console/audit?action=keys.create", {}),
                ("audit, search actor", "/console/audit?actor=key_7", {}),
                ("teams (spend this month and today)", "/console/teams", {}),
                ("models and routes (policy denials)", "/console/models", {}),
                ("baseline /admin/usage day", f"/admin/usage?since={now - 86400}", admin),
                ("baseline /admin/usage month", f"/admin/usage?since={now - 30 * 86400}", admin),
            ]
            results = {name: timed(client, path, args.rounds, **kw) for name, path, kw in cases}
    baseline = statistics.median(results["baseline /admin/usage day"])
    print(
        "\n| page | median ms | min ms | max ms | vs /admin/usage day |\n|---|---:|---:|---:|---:|"
    )
    for name, values in results.items():
        median = statistics.median(values)
        print(
            f"| {name} | {median:.0f} | {min(values):.0f} | {max(values):.0f} "
            f"| {median / baseline:.2f}x |"
        )


if __name__ == "__main__":
    main()
