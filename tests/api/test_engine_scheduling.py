"""The local engine under contention: short answers overtake long ones, a full queue says so."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.gateway_process import GatewayProcess


@pytest.fixture(scope="module")
def small_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    home = tmp_path_factory.mktemp("small")
    config = home / "switchgear.yaml"
    config.write_text(
        "models:\n  - {id: smol, aliases: [default], parallel: 2, max_queue: 1,"
        " context_window: 2048}\n"
    )
    process = GatewayProcess(home, config)
    yield process
    process.stop()


def _body(max_tokens: int, stream: bool = False) -> dict[str, object]:
    return {
        "model": "default",
        "messages": [{"role": "user", "content": "Write a long story about the sea."}],
        "max_tokens": max_tokens,
        "temperature": 1.0,
        "stream": stream,
    }


def test_a_short_request_finishes_while_a_long_stream_keeps_going(
    small_gateway: GatewayProcess,
) -> None:
    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=small_gateway.base_url, timeout=120) as client:
            long_done = asyncio.Event()
            streaming = asyncio.Event()
            long_chunks_before_short_finished = 0
            chunks = 0

            async def long_stream() -> None:
                nonlocal chunks
                async with client.stream(
                    "POST", "/v1/chat/completions", json=_body(400, stream=True)
                ) as response:
                    async for line in response.aiter_lines():
                        if line.startswith("data: {"):
                            chunks += 1
                            if chunks == 5:
                                streaming.set()
                long_done.set()

            task = asyncio.create_task(long_stream())
            await streaming.wait()
            short = await client.post("/v1/chat/completions", json=_body(4))
            long_chunks_before_short_finished = chunks
            assert short.status_code == 200
            assert not long_done.is_set(), "the short answer did not wait for the long one"
            await task
            assert chunks > long_chunks_before_short_finished, "the long stream kept going"

    asyncio.run(scenario())


def test_a_full_queue_answers_503_with_retry_after(small_gateway: GatewayProcess) -> None:
    async def scenario() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=small_gateway.base_url, timeout=120) as client:
            return list(
                await asyncio.gather(
                    *(client.post("/v1/chat/completions", json=_body(60)) for _ in range(5))
                )
            )

    responses = asyncio.run(scenario())
    codes = sorted(r.status_code for r in responses)
    assert codes.count(200) >= 3, codes  # two answering, one waiting
    refused = [r for r in responses if r.status_code == 503]
    assert refused, codes
    assert refused[0].headers["retry-after"] == "1"
    assert refused[0].json()["error"]["code"] == "queue_full"
