"""Event feeds measured end to end: the latency from an event's line leaving the client to
the first token of the commentary that covers it (p50/p95), through a real `switchgear serve`
over loopback HTTP, events sent at a fixed rate. Two routes: the embedded SmolLM2-135M, and a
fast fake OpenAI upstream (tests/fakes/openai_server.py, no delay between chunks), which
shows what the gateway itself adds. The baseline, measured in the same run on the same
routes: the time to first token of a streamed `/v1/chat/completions` with the same prompt.

Events sent faster than commentary is written are coalesced (counted here); a coalesced
event's latency is that of the commentary that finally covers it.

    .venv/bin/python bench/feeds/run.py [--events 20] [--rates 0.25,1,4] [--max-tokens 24]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import yaml

from switchgear.feeds.backlog import FeedEvent
from switchgear.feeds.commentary import commentary_request
from switchgear.feeds.config import FeedConfig

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.fakes.behaviour import FakeBehaviour  # noqa: E402
from tests.fakes.openai_server import create_openai_fake  # noqa: E402
from tests.fakes.serve import run_fake  # noqa: E402
from tests.gateway_process import GatewayProcess  # noqa: E402

KINDS = ["pass", "shot", "corner", "foul", "goal", "yellow card", "substitution", "save"]
PLAYERS = ["Saka", "Rice", "Palmer", "Ødegaard", "Caicedo", "Jackson"]


def feed_section(max_tokens: int) -> dict[str, Any]:
    return {
        "instructions": "You are a football commentator. One short sentence on the new event.",
        "context_events": 5,
        "fields": ["minute", "type", "player", "team"],
        "max_tokens": max_tokens,
    }


def config(fake_url: str, feed: dict[str, Any]) -> dict[str, Any]:
    return {
        "providers": {
            "fake": {"kind": "openai_compat", "base_url": f"{fake_url}/v1", "api_key_env": "K"}
        },
        "models": [
            {"id": "smollm2-135m-instruct", "provider": "local", "path": "embedded"},
            {"id": "gpt-fake", "provider": "fake", "upstream_model": "gpt-4o-mini"},
        ],
        "routes": {
            "embedded": {"targets": ["smollm2-135m-instruct"], "feed": feed},
            "fake": {"targets": ["gpt-fake"], "feed": feed},
        },
    }


def event(n: int) -> dict[str, Any]:
    return {
        "id": f"e{n}",
        "minute": n * 3,
        "type": KINDS[n % len(KINDS)],
        "player": PLAYERS[n % len(PLAYERS)],
        "team": "Arsenal" if n % 2 else "Chelsea",
    }


async def run_feed(base: str, route: str, count: int, rate: float) -> dict[str, Any]:
    sent: dict[str, float] = {}
    latency: dict[str, float] = {}
    server_ms: list[float] = []
    coalesced = dropped = 0

    async def body() -> AsyncIterator[bytes]:
        for n in range(count):
            sent[f"e{n}"] = time.perf_counter()
            yield (json.dumps(event(n)) + "\n").encode()
            await asyncio.sleep(1 / rate)

    covering: list[str] = []
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1800)) as http,
        http.post(
            f"{base}/v1/feeds/{route}",
            data=body(),
            headers={"content-type": "application/x-ndjson"},
        ) as reply,
    ):
        reply.raise_for_status()
        async for raw in reply.content:
            text = raw.decode().strip()
            if not text.startswith("data: {"):
                continue
            message = json.loads(text[6:])
            kind = message["type"]
            if kind == "coalesced":
                covering = list(message["events"])
                coalesced += len(covering) - 1
            elif kind == "delta" and message["event"] not in latency:
                now = time.perf_counter()
                for name in covering or [message["event"]]:
                    latency[name] = now - sent[name]
            elif kind == "event_done":
                server_ms += [ms for ms in message["first_token_ms"] if ms is not None]
                covering = []
            elif kind == "dropped":
                dropped += message["count"]
    return {
        "latency_s": list(latency.values()),
        "server_ms": server_ms,
        "coalesced": coalesced,
        "dropped": dropped,
    }


async def chat_ttft(base: str, route: str, feed: dict[str, Any], times: int) -> list[float]:
    """The baseline: the same chat a feed's commentary sends once it has its full context
    (built by the feed's own code), streamed from `/v1/chat/completions`; time to first text."""
    config = msgspec.convert(feed, FeedConfig)
    seconds = []
    async with aiohttp.ClientSession() as http:
        for n in range(times):
            events = [FeedEvent(f"e{i}", i, event(i)) for i in range(n, n + 6)]
            chat = commentary_request(route, config, events[-1:], events[:-1])
            started = time.perf_counter()
            first = None
            payload = msgspec.to_builtins(chat)
            async with http.post(f"{base}/v1/chat/completions", json=payload) as reply:
                async for raw in reply.content:
                    text = raw.decode().strip()
                    if first is None and '"content":"' in text and '"content":""' not in text:
                        first = time.perf_counter() - started
            seconds.append(first or float("nan"))
    return seconds


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--rates", default="0.25,1,4", help="events per second, each in turn")
    parser.add_argument("--max-tokens", type=int, default=24)
    args = parser.parse_args()
    with run_fake(create_openai_fake(FakeBehaviour(api_key="k"))) as url:
        home = Path(tempfile.mkdtemp(prefix="bench-feeds-"))
        path = home / "switchgear.yaml"
        feed = feed_section(args.max_tokens)
        path.write_text(yaml.safe_dump(config(url, feed)))
        process = GatewayProcess(home, path, env={"K": "k"})
        try:
            rows = []
            for route in ("embedded", "fake"):
                asyncio.run(run_feed(process.base_url, route, 2, 2.0))  # warm up
                base = asyncio.run(chat_ttft(process.base_url, route, feed, 10))
                chat = statistics.median(base) * 1000
                for rate in map(float, args.rates.split(",")):
                    got = asyncio.run(run_feed(process.base_url, route, args.events, rate))
                    ms = [s * 1000 for s in got["latency_s"]]
                    rows.append(
                        f"| {route} | {rate:g}/s | {len(ms)}/{args.events} "
                        f"| {pct(ms, 0.5):.0f} | {pct(ms, 0.95):.0f} "
                        f"| {pct(got['server_ms'], 0.5):.0f} | {chat:.0f} "
                        f"| {pct(ms, 0.5) / chat:.2f} | {got['coalesced']} | {got['dropped']} |"
                    )
        finally:
            process.stop()
    print(
        "| route | rate | answered | p50 ms | p95 ms | server p50 ms | chat TTFT p50 ms "
        "| p50 / chat | coalesced | dropped |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
