"""CPU per request of each front door, against the chat door in the same run: the same
question through `/v1/chat/completions` (the baseline), `/v1/messages` and `/v1/responses`
(with `store: false` and with `store: true`), whole and streamed, in one process through the
ASGI app (routes, body decoding, the door's translation both ways, the pipeline with a
virtual key and the SQLite ledger), answered by an in-process provider that streams 8
deltas. CPU time of the event-loop thread per request, best of R rounds; the ratio to the chat
door is what the door's translation costs.

    .venv/bin/python bench/gateway/doors_cpu.py [--requests 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import AsyncGenerator
from typing import Any

import httpx
import msgspec

from switchgear.api.app import create_routes_app
from switchgear.config import Config
from switchgear.gateway import Gateway
from switchgear.providers.mock import MockProvider
from switchgear.schema.generation import Delta, Usage

QUESTION = "Say hello."
WORDS = ("Hello", " there", ",", " how", " can", " I", " help", "?")


async def answer(model: str, request: Any) -> AsyncGenerator[Delta, None]:
    for word in WORDS:
        yield Delta(text=word)
    yield Delta(finish_reason="stop", usage=Usage(8, 8))


def bodies(stream: bool) -> dict[str, tuple[str, dict[str, Any]]]:
    user = [{"role": "user", "content": QUESTION}]
    return {
        "chat": (
            "/v1/chat/completions",
            {"model": "mock", "messages": user, "max_tokens": 16, "stream": stream},
        ),
        "anthropic": (
            "/v1/messages",
            {"model": "mock", "messages": user, "max_tokens": 16, "stream": stream},
        ),
        "responses": (
            "/v1/responses",
            {"model": "mock", "input": QUESTION, "max_output_tokens": 16, "stream": stream,
             "store": False},
        ),
        "responses+store": (
            "/v1/responses",
            {"model": "mock", "input": QUESTION, "max_output_tokens": 16, "stream": stream},
        ),
    }  # fmt: skip


async def main(requests: int, rounds: int) -> None:
    config = msgspec.convert(
        {
            "data_dir": tempfile.mkdtemp(),
            "providers": {"api": {"kind": "openai_compat", "base_url": "http://mock.invalid"}},
            "models": [{"id": "mock", "provider": "api"}],
        },
        Config,
    )
    gateway = Gateway(config, providers={"api": MockProvider(answer)})
    app = create_routes_app(gateway)
    await gateway.start()
    _, secret = gateway.governor.keys.create({"name": "bench"})
    headers = {"authorization": f"Bearer {secret}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def one(path: str, body: dict[str, Any]) -> None:
            response = await client.post(path, json=body, headers=headers)
            assert response.status_code == 200, response.text

        async def per_request(path: str, body: dict[str, Any]) -> float:
            best = float("inf")
            for _ in range(rounds):
                gateway.ledger.flush()
                began = time.thread_time()
                for _ in range(requests // 16):
                    await asyncio.gather(*(one(path, body) for _ in range(16)))
                gateway.ledger.flush()
                best = min(best, (time.thread_time() - began) / (requests // 16 * 16))
            return best * 1e6

        for stream in (False, True):
            doors = bodies(stream)
            for path, body in doors.values():  # warm up every door
                for _ in range(50):
                    await one(path, body)
            spent = {name: await per_request(*door) for name, door in doors.items()}
            label = "streamed" if stream else "whole"
            for name, us in spent.items():
                ratio = us / spent["chat"]
                print(f"{label:8} {name:16} {us:8.0f} us/request  {ratio:5.2f}x the chat door")
    await gateway.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.rounds))
