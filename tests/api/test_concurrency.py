"""Several streams at once, health checks during generation, clients that hang up."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import httpx

from tests.conftest import ledger_rows, wait_for_ledger_row
from tests.gateway_process import GatewayProcess


async def _stream(client: httpx.AsyncClient, max_tokens: int) -> tuple[str, str | None]:
    body = {
        "model": "default",
        "messages": [{"role": "user", "content": "Tell me a story."}],
        "max_tokens": max_tokens,
        "stream": True,
    }
    text, finish = "", None
    async with client.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data: {"):
                choice = json.loads(line[6:])["choices"][0]
                text += choice["delta"].get("content") or ""
                finish = choice["finish_reason"] or finish
    return text, finish


def test_simultaneous_streams_all_finish_and_health_answers_meanwhile(
    gateway: GatewayProcess,
) -> None:
    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=gateway.base_url, timeout=120) as client:
            streams = [asyncio.create_task(_stream(client, 24)) for _ in range(4)]
            await asyncio.sleep(0.3)
            health = await client.get("/healthz")
            in_flight = sum(not s.done() for s in streams)
            results = await asyncio.gather(*streams)
        assert health.status_code == 200
        assert in_flight > 0, "the health check should have run while streams were generating"
        for text, finish in results:
            assert text
            assert finish in ("stop", "length")

    asyncio.run(scenario())


def test_a_client_that_hangs_up_mid_stream_frees_the_engine(gateway: GatewayProcess) -> None:
    body = {
        "model": "default",
        "messages": [{"role": "user", "content": "Write a very long essay."}],
        "max_tokens": 4000,
        "temperature": 1.0,
        "stream": True,
    }
    with httpx.stream("POST", f"{gateway.base_url}/v1/chat/completions", json=body) as r:
        request_id = r.headers["x-request-id"]
        lines = r.iter_lines()
        for _ in range(3):
            next(lines)
    started = time.monotonic()
    row = wait_for_ledger_row(gateway.db_path, request_id)
    assert row["status"] == "cancelled"
    assert row["completion_tokens"] == 0 or row["completion_tokens"] < 4000
    # The engine is free again: a short request right after is answered, not queued behind
    # 4000 tokens of an abandoned essay (which would take a minute at this model's speed).
    ok = httpx.post(
        f"{gateway.base_url}/v1/chat/completions",
        json={"model": "default", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2},
        timeout=120,
    )
    assert ok.status_code == 200
    assert time.monotonic() - started < 30


def test_a_non_streaming_client_that_hangs_up_is_recorded_as_cancelled(
    gateway: GatewayProcess,
) -> None:
    before = {r["request_id"] for r in ledger_rows(gateway.db_path)}
    body = {
        "model": "default",
        "messages": [{"role": "user", "content": "Write a very long essay."}],
        "max_tokens": 4000,
        "temperature": 1.0,
    }
    with contextlib.suppress(httpx.ReadTimeout):
        httpx.post(f"{gateway.base_url}/v1/chat/completions", json=body, timeout=1.0)
    deadline = time.monotonic() + 20
    cancelled = []
    while time.monotonic() < deadline and not cancelled:
        rows = ledger_rows(gateway.db_path, "status = 'cancelled'")
        cancelled = [r for r in rows if r["request_id"] not in before]
        time.sleep(0.1)
    assert cancelled, "the abandoned request should be in the ledger as cancelled"
    assert cancelled[0]["http_status"] == 499
