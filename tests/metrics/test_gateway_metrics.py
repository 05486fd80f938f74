"""What an operator reads off `/metrics`: a real gateway process in front of fake OpenAI
upstreams on loopback, scraped and parsed like Prometheus does."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx
import pytest
from openai import OpenAI

from tests.fakes.east_west import EAST, WEST, Upstreams, gateway_in_front
from tests.gateway_process import GatewayProcess
from tests.metrics.scrape import label_values, scrape, value

CONFIG = """
resilience: {backoff_base_s: 0.01, breaker_failures: 1000}
routes:
  assistant: {targets: [gpt-east, gpt-west], retries: 1}
"""


@pytest.fixture(scope="module")
def upstreams() -> Upstreams:
    return Upstreams()


@pytest.fixture(scope="module")
def front(
    upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    with gateway_in_front(upstreams, tmp_path_factory.mktemp("metrics"), CONFIG) as process:
        yield process


@pytest.fixture(autouse=True)
def _healthy(upstreams: Upstreams) -> None:
    upstreams.reset()


def openai_client(front: GatewayProcess) -> OpenAI:
    return OpenAI(base_url=f"{front.base_url}/v1", api_key="unused", max_retries=0, timeout=60)


def chat(front: GatewayProcess, model: str) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "hello"}]}
    return httpx.post(f"{front.base_url}/v1/chat/completions", json=body, timeout=60)


def test_requests_are_counted_by_route_alias_door_and_served_model(
    front: GatewayProcess,
) -> None:
    before = scrape(front.base_url)
    openai_client(front).chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": "hi"}]
    )
    anthropic.Anthropic(base_url=front.base_url, api_key="unused", max_retries=0).messages.create(
        model="assistant", max_tokens=20, messages=[{"role": "user", "content": "hi"}]
    )
    after = scrape(front.base_url)
    for door in ("chat.completions", "anthropic.messages"):
        labels = {"door": door, "route": "assistant", "model": "gpt-east"}
        requests = "switchgear_requests_total"
        assert (
            value(after, requests, **labels, status="ok")
            - value(before, requests, **labels, status="ok")
            == 1
        ), door
        latency = "switchgear_request_duration_seconds_count"
        assert value(after, latency, **labels) - value(before, latency, **labels) == 1
    # The route label names routes, never endpoints.
    assert "chat.completions" not in label_values(after, "switchgear_requests_total", "route")


def test_an_error_is_labelled_with_the_model_the_caller_named(
    front: GatewayProcess, upstreams: Upstreams
) -> None:
    upstreams.east.fail("error500")
    upstreams.west.fail("error500")
    before = scrape(front.base_url)
    assert chat(front, "assistant").status_code == 502
    assert chat(front, "gpt-east").status_code == 502
    assert chat(front, "no-such-model").status_code == 404
    after = scrape(front.base_url)
    errors = "switchgear_errors_total"

    def added(**labels: str) -> float:
        return value(after, errors, **labels) - value(before, errors, **labels)

    door = "chat.completions"
    assert added(door=door, route="assistant", model="assistant", code="all_targets_failed") == 1
    assert added(door=door, route="gpt-east", model="gpt-east", code="all_targets_failed") == 1
    # A name the configuration does not know is not a label value: one series for them all.
    assert added(door=door, route="other", model="other", code="model_not_found") == 1
    assert "no-such-model" not in label_values(after, errors, "model")
    assert "unknown" not in label_values(after, errors, "model")


def test_embeddings_carry_the_embedding_model(front: GatewayProcess) -> None:
    client = openai_client(front)
    before = scrape(front.base_url)
    client.embeddings.create(model="all-minilm-l6-v2", input="metrics for operators")
    refused = httpx.post(
        f"{front.base_url}/v1/embeddings",
        json={"model": "all-minilm-l6-v2", "input": ""},
        timeout=60,
    )
    assert refused.status_code == 400
    after = scrape(front.base_url)
    labels = {"door": "embeddings", "route": "all-minilm-l6-v2", "model": "all-minilm-l6-v2"}
    requests = "switchgear_requests_total"
    for status in ("ok", "error"):
        added = value(after, requests, **labels, status=status) - value(
            before, requests, **labels, status=status
        )
        assert added == 1, status
    prompt = {"model": "all-minilm-l6-v2", "kind": "prompt"}
    assert value(after, "switchgear_tokens_total", **prompt) > value(
        before, "switchgear_tokens_total", **prompt
    )


def test_a_failing_target_shows_its_attempts_retry_and_fallback(
    front: GatewayProcess, upstreams: Upstreams
) -> None:
    upstreams.east.fail("error500")
    before = scrape(front.base_url)
    response = chat(front, "assistant")
    assert response.status_code == 200
    assert response.headers["x-switchgear-target"] == WEST
    after = scrape(front.base_url)

    def added(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    attempts = "switchgear_upstream_attempts_total"
    assert added(attempts, target=EAST, provider="east", outcome="upstream_server_error") == 2
    assert added(attempts, target=WEST, provider="west", outcome="ok") == 1
    assert added("switchgear_retries_total", target=EAST) == 1
    assert added("switchgear_retries_total", target=WEST) == 0
    fallback = {"route": "assistant", "from_target": EAST, "to_target": WEST}
    assert added("switchgear_fallbacks_total", **fallback) == 1
    durations = "switchgear_upstream_attempt_duration_seconds_count"
    assert added(durations, target=EAST, status="error") == 2
    assert added(durations, target=WEST, status="ok") == 1
    assert value(after, "switchgear_circuit_state", target=EAST) == 0  # 1000 failures to open
