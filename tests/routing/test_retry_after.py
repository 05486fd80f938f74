"""When no target can answer, the client is told when to come back: a real gateway process in
front of fake OpenAI upstreams that rate-limit or fail, called through the official SDKs."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest

from tests.fakes.east_west import Upstreams, gateway_in_front
from tests.gateway_process import GatewayProcess

CONFIG = """
resilience: {{backoff_base_s: 0.01, breaker_failures: {breaker_failures}}}
routes:
  both: {{targets: [gpt-east, gpt-west], retries: 1}}
"""

RETRY_AFTER_S = 7  # longer than `max_retry_after_s` (5): the gateway moves on instead of waiting


@pytest.fixture(scope="module")
def upstreams() -> Upstreams:
    return Upstreams()


def _front(
    upstreams: Upstreams, home_factory: pytest.TempPathFactory, breaker_failures: int
) -> Iterator[GatewayProcess]:
    config = CONFIG.format(breaker_failures=breaker_failures)
    with gateway_in_front(upstreams, home_factory.mktemp("front"), config) as process:
        yield process


@pytest.fixture(scope="module")
def front(
    upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    yield from _front(upstreams, tmp_path_factory, breaker_failures=1000)


@pytest.fixture(autouse=True)
def _every_upstream_rate_limited(upstreams: Upstreams) -> None:
    for upstream in (upstreams.east, upstreams.west):
        upstream.reset()
        upstream.fail("rate_limit")
        upstream.retry_after = RETRY_AFTER_S


@pytest.mark.parametrize("stream", [False, True])
def test_every_target_rate_limited_is_a_rate_limit_for_the_openai_client(
    front: GatewayProcess, stream: bool
) -> None:
    client = openai.OpenAI(base_url=f"{front.base_url}/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(
            model="both", messages=[{"role": "user", "content": "hello"}], stream=stream
        )
    error = caught.value
    assert int(error.response.headers["retry-after"]) >= RETRY_AFTER_S
    body = error.body
    assert isinstance(body, dict)
    assert body["type"] != "server_error"
    assert (body["type"], body["code"]) == ("requests", "rate_limit_exceeded")
    assert "gpt-east@east" in body["message"] and "gpt-west@west" in body["message"]


def test_every_target_rate_limited_is_a_rate_limit_for_the_anthropic_client(
    front: GatewayProcess,
) -> None:
    client = anthropic.Anthropic(base_url=front.base_url, api_key="unused", max_retries=0)
    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.create(
            model="both", max_tokens=20, messages=[{"role": "user", "content": "hello"}]
        )
    error = caught.value
    assert int(error.response.headers["retry-after"]) >= RETRY_AFTER_S
    assert error.response.json()["error"]["type"] == "rate_limit_error"


def test_a_broken_target_outranks_a_busy_one(front: GatewayProcess, upstreams: Upstreams) -> None:
    """One target down, the other rate-limited: a gateway-side failure (502), not a 429 that
    would have the client wait for a limit when a target is broken."""
    upstreams.east.fail("error500")
    response = httpx.post(
        f"{front.base_url}/v1/chat/completions",
        json={"model": "both", "messages": [{"role": "user", "content": "hello"}]},
        timeout=60,
    )
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "all_targets_failed"
    assert int(response.headers["retry-after"]) >= 1


@pytest.fixture(scope="module")
def fragile_front(
    upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    """Breakers that open on the first failure (and stay open for the default 30 s)."""
    yield from _front(upstreams, tmp_path_factory, breaker_failures=1)


def test_an_open_circuit_says_when_to_retry(
    fragile_front: GatewayProcess, upstreams: Upstreams
) -> None:
    for upstream in (upstreams.east, upstreams.west):
        upstream.fail("error500")
    body = {"model": "both", "messages": [{"role": "user", "content": "hello"}]}
    url = f"{fragile_front.base_url}/v1/chat/completions"
    assert httpx.post(url, json=body, timeout=60).status_code == 502  # opens both circuits
    sent = len(upstreams.east.requests) + len(upstreams.west.requests)
    response = httpx.post(url, json=body, timeout=60)
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "server_error"
    # The breakers let a probe in after their cooldown (30 s); the client is told as much.
    assert 1 < int(response.headers["retry-after"]) <= 30
    assert len(upstreams.east.requests) + len(upstreams.west.requests) == sent
    client = anthropic.Anthropic(base_url=fragile_front.base_url, api_key="unused", max_retries=0)
    with pytest.raises(anthropic.InternalServerError) as caught:
        client.messages.create(
            model="both", max_tokens=20, messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.status_code == 503
    assert int(caught.value.response.headers["retry-after"]) > 1
