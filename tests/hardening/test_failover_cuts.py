"""An upstream that breaks off half-way through a non-streamed answer has sent the client
nothing yet: the gateway fails over to the next target, the failure counts for the breaker,
and once the breaker opens the broken target gets no more traffic."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess

CONFIG = """
providers:
  broken: {{kind: openai_compat, base_url: "{broken}/v1", api_key_env: FAKE_KEY}}
  healthy: {{kind: openai_compat, base_url: "{healthy}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: first, provider: broken, upstream_model: m}}
  - {{id: second, provider: healthy, upstream_model: m}}
routes:
  chat: {{targets: [first, second], retries: 0}}
resilience: {{breaker_failures: 3, breaker_cooldown_s: 600, backoff_base_s: 0}}
"""


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[FakeBehaviour, FakeBehaviour, str, str]]:
    broken, healthy = FakeBehaviour(api_key="k"), FakeBehaviour(api_key="k")
    with run_fake(create_openai_fake(broken)) as b, run_fake(create_openai_fake(healthy)) as h:
        yield broken, healthy, b, h


def gateway_for(
    upstreams: tuple[FakeBehaviour, FakeBehaviour, str, str], home: object
) -> GatewayProcess:
    from pathlib import Path

    path = Path(str(home))
    config = path / "switchgear.yaml"
    config.write_text(CONFIG.format(broken=upstreams[2], healthy=upstreams[3]))
    return GatewayProcess(path, config, env={"FAKE_KEY": "k"})


@pytest.mark.parametrize("mode", ["cut_stream", "garbage_sse", "error500"])
def test_a_broken_first_target_never_costs_a_request(
    upstreams: tuple[FakeBehaviour, FakeBehaviour, str, str],
    tmp_path_factory: pytest.TempPathFactory,
    mode: str,
) -> None:
    broken, healthy = upstreams[0], upstreams[1]
    broken.reset()
    healthy.reset()
    broken.fail(mode)  # type: ignore[arg-type]
    gateway = gateway_for(upstreams, tmp_path_factory.mktemp(f"cuts-{mode}"))
    try:
        body = {"model": "chat", "messages": [{"role": "user", "content": "hello there"}]}
        codes, served = [], []
        for _ in range(40):
            response = httpx.post(f"{gateway.base_url}/v1/chat/completions", json=body, timeout=60)
            codes.append(response.status_code)
            served.append(response.headers.get("x-switchgear-target"))
        assert codes == [200] * 40
        assert set(served) == {"second@healthy"}
        # The breaker opened after 3 failures: the broken target saw 3 requests, not 40.
        assert len(broken.requests) == 3
        routes = httpx.get(f"{gateway.base_url}/admin/routes", timeout=30).json()
        assert '"open"' in str(routes).replace("'", '"')
    finally:
        gateway.stop()
        broken.fail("ok")
