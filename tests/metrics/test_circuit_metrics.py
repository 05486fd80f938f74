"""The circuit breaker as an operator sees it on `/metrics`: a real gateway process whose only
upstream fails until its breaker opens."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess
from tests.metrics.scrape import scrape, value

CONFIG = """
resilience: {{backoff_base_s: 0.01, breaker_failures: 2, breaker_cooldown_s: 600}}
providers:
  broken: {{kind: openai_compat, base_url: "{broken}/v1", api_key_env: FAKE_OPENAI_KEY}}
  steady: {{kind: openai_compat, base_url: "{steady}/v1", api_key_env: FAKE_OPENAI_KEY}}
models:
  - {{id: gpt-broken, provider: broken, upstream_model: gpt-4o-mini}}
  - {{id: gpt-steady, provider: steady, upstream_model: gpt-4o-mini}}
routes:
  solo: {{targets: [gpt-broken], retries: 1}}
"""


@pytest.fixture(scope="module")
def broken() -> FakeBehaviour:
    return FakeBehaviour(api_key="test-key")


@pytest.fixture(scope="module")
def front(
    broken: FakeBehaviour, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    steady = FakeBehaviour(api_key="test-key")
    with (
        run_fake(create_openai_fake(broken)) as broken_url,
        run_fake(create_openai_fake(steady)) as steady_url,
    ):
        home = tmp_path_factory.mktemp("circuits")
        config = home / "switchgear.yaml"
        config.write_text(CONFIG.format(broken=broken_url, steady=steady_url))
        process = GatewayProcess(home, config, env={"FAKE_OPENAI_KEY": "test-key"})
        yield process
        process.stop()


def test_an_opened_breaker_shows_as_state_2_and_counts_once(
    front: GatewayProcess, broken: FakeBehaviour
) -> None:
    before = scrape(front.base_url)
    assert value(before, "switchgear_circuit_state", target="gpt-broken@broken") == 0
    assert value(before, "switchgear_circuit_opened_total", target="gpt-broken@broken") == 0
    broken.fail("error500")
    body = {"model": "solo", "messages": [{"role": "user", "content": "hello"}]}
    for _ in range(2):  # the first opens the breaker (two failed attempts), the second meets it
        httpx.post(f"{front.base_url}/v1/chat/completions", json=body, timeout=60)
    after = scrape(front.base_url)
    assert value(after, "switchgear_circuit_state", target="gpt-broken@broken") == 2
    assert value(after, "switchgear_circuit_opened_total", target="gpt-broken@broken") == 1
    assert value(after, "switchgear_circuit_state", target="gpt-steady@steady") == 0
    assert len(broken.requests) == 2, "an open circuit sends nothing upstream"
