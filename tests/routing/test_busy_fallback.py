"""A route whose first target is the embedded engine with a full queue falls over to the next
target at once instead of answering 503: a busy engine is not a broken one, so its circuit
stays closed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.east_west import Upstreams, gateway_in_front
from tests.gateway_process import GatewayProcess

CONFIG = """
  - {id: smol, parallel: 1, max_queue: 0, context_window: 2048}
routes:
  assistant: {targets: [smol, gpt-east]}
"""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    with gateway_in_front(Upstreams(), Path(tmp_path_factory.mktemp("busy")), CONFIG) as process:
        yield process


def test_a_full_local_queue_falls_over_to_the_next_target(gateway: GatewayProcess) -> None:
    body = {
        "model": "assistant",
        "messages": [{"role": "user", "content": "Tell me a long story about the sea."}],
        "max_tokens": 40,
    }

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=gateway.base_url, timeout=120) as client:
            return list(
                await asyncio.gather(
                    *(client.post("/v1/chat/completions", json=body) for _ in range(4))
                )
            )

    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
    served = [r.headers["x-switchgear-model"] for r in responses]
    assert "smol" in served and "gpt-east" in served, served
    # The busy engine still answers the next request itself: its circuit did not open.
    alone = httpx.post(f"{gateway.base_url}/v1/chat/completions", json=body, timeout=120)
    assert alone.status_code == 200 and alone.headers["x-switchgear-model"] == "smol"
