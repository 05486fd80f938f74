"""Every kind of request takes the same trip: each leaves exactly one ledger row charged to
its caller, counts against the caller's limits and passes its route's guards, including the
calls the gateway makes for itself (the Llama Guard judge, the knowledge reranker)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess

ADMIN = "admin-secret-for-one-row-tests"
RPM = 40
CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{upstream}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: ext, provider: api, upstream_model: gpt-4o-mini}}
routes:
  judged: {{targets: [ext]}}
  answers:
    targets: [ext]
    knowledge: {{collection: docs, top_k: 2, rerank_route: ext, rerank_candidates: 4}}
  intents:
    targets: [ext]
    classify:
      labels: &intents
        parking: {{examples: ["When does the garage open?"]}}
        lunch: {{examples: ["When is lunch served?"]}}
  intents-judged: {{targets: [ext], classify: {{labels: *intents}}}}
knowledge:
  collections: {{docs: {{acl: [public]}}}}
guards:
  routes: {{judged: judged, intents-judged: judged}}
  policies:
    "off": {{}}
    # The fake upstream echoes instead of judging: its verdict is unreadable, and this policy
    # lets the request through regardless, so the judge's own trip is what is under test.
    judged: {{moderation: {{backend: judge, input: true}}, fail_open: true}}
  moderation_backends:
    judge: {{kind: llama_guard, route: ext}}
"""


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeBehaviour]:
    behaviour = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(behaviour)) as url:
        behaviour.url = url  # type: ignore[attr-defined]
        yield behaviour


@pytest.fixture(scope="module")
def gateway(
    upstream: FakeBehaviour, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    home = tmp_path_factory.mktemp("one-row")
    config = home / "switchgear.yaml"
    config.write_text(CONFIG.format(upstream=upstream.url))  # type: ignore[attr-defined]
    env = {"FAKE_KEY": "test-key", "SWITCHGEAR_ADMIN_KEY": ADMIN}
    process = GatewayProcess(home, config, env=env)
    for name, text in (
        ("parking.md", "# Parking\nThe garage opens at 7 and closes at 22."),
        ("canteen.md", "# Canteen\nLunch is served from 12 to 14 in the canteen."),
        ("travel.md", "# Travel\nTrain travel is preferred for trips under 500 km."),
    ):
        uploaded = process.admin(
            ADMIN,
            "POST",
            "/knowledge/collections/docs/documents",
            files={"file": (name, text.encode(), "text/markdown")},
            data={"acl": "public"},
        )
        assert uploaded.status_code in (200, 201), uploaded.text
    yield process
    process.stop()


@pytest.fixture(scope="module")
def key(gateway: GatewayProcess) -> str:
    created = gateway.admin(ADMIN, "POST", "/keys", json={"name": "app", "limits": {"rpm": RPM}})
    assert created.status_code == 201, created.text
    secret: str = created.json()["key"]
    return secret


def rows(gateway: GatewayProcess, where: str, params: tuple[Any, ...]) -> list[sqlite3.Row]:
    with sqlite3.connect(gateway.db_path) as db:
        db.row_factory = sqlite3.Row
        return db.execute(f"SELECT * FROM usage WHERE {where}", params).fetchall()


def settled(gateway: GatewayProcess, where: str, params: tuple[Any, ...], n: int) -> list[Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = rows(gateway, where, params)
        if len(found) >= n:
            return found
        time.sleep(0.05)
    return rows(gateway, where, params)


def call(gateway: GatewayProcess, key: str, method: str, path: str, **kw: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"}
    response = httpx.request(method, f"{gateway.base_url}{path}", headers=headers, timeout=60, **kw)
    assert response.status_code == 200, response.text
    return response


DOORS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("moderations", "POST", "/v1/moderations", {"json": {"input": "What a lovely day"}}),
    (
        "embeddings",
        "POST",
        "/v1/embeddings",
        {"json": {"model": "all-minilm-l6-v2", "input": ["garage hours"]}},
    ),
    ("search", "POST", "/v1/search", {"json": {"collection": "docs", "query": "garage"}}),
    ("models", "GET", "/v1/models", {}),
    ("models", "GET", "/v1/models/ext", {}),
    (
        "anthropic.messages",
        "POST",
        "/v1/messages",
        {
            "json": {
                "model": "ext",
                "max_tokens": 9,
                "messages": [{"role": "user", "content": "hi"}],
            }
        },
    ),
    (
        "messages.count_tokens",
        "POST",
        "/v1/messages/count_tokens",
        {"json": {"model": "ext", "messages": [{"role": "user", "content": "hi"}]}},
    ),
    ("responses", "POST", "/v1/responses", {"json": {"model": "ext", "input": "hi"}}),
    (
        "classifications",
        "POST",
        "/v1/classifications",
        {"json": {"model": "intents", "input": ["garage hours"]}},
    ),
]
CLASSIFY = DOORS[-1]


@pytest.mark.parametrize(("endpoint", "method", "path", "kw"), DOORS)
def test_each_door_leaves_one_row_charged_to_its_key(
    gateway: GatewayProcess, key: str, endpoint: str, method: str, path: str, kw: dict[str, Any]
) -> None:
    response = call(gateway, key, method, path, **kw)
    request_id = response.headers["x-request-id"]
    found = settled(gateway, "request_id = ?", (request_id,), 1)
    assert len(found) == 1
    assert found[0]["endpoint"] == endpoint and found[0]["status"] == "ok"
    assert found[0]["key_id"] is not None
    assert "x-ratelimit-remaining-requests" in response.headers


@pytest.mark.parametrize(("model", "purpose"), [("judged", "judge"), ("answers", "rerank")])
def test_internal_calls_are_trips_of_their_own_charged_to_the_caller(
    gateway: GatewayProcess, key: str, upstream: FakeBehaviour, model: str, purpose: str
) -> None:
    before = rows(gateway, "endpoint = ?", (f"internal.{purpose}",))
    upstream.reset()
    body = {"model": model, "messages": [{"role": "user", "content": "When does the garage open?"}]}
    response = call(gateway, key, "POST", "/v1/chat/completions", json=body)
    door = settled(gateway, "request_id = ?", (response.headers["x-request-id"],), 1)
    internal = settled(gateway, "endpoint = ?", (f"internal.{purpose}",), len(before) + 1)
    assert len(internal) == len(before) + 1, f"no ledger row for the {purpose} call"
    new = internal[-1]
    assert new["key_id"] == door[0]["key_id"] is not None
    assert new["served_model"] == "ext" and new["status"] == "ok"
    assert len(upstream.requests) == 2  # the caller's answer and the internal call


def test_classification_inputs_pass_the_guards_like_a_prompt(
    gateway: GatewayProcess, key: str, upstream: FakeBehaviour
) -> None:
    """The route's policy moderates the text to classify with its judge: the judge's own trip
    is charged to the caller, and the classification itself calls no model."""
    before = rows(gateway, "endpoint = ?", ("internal.judge",))
    upstream.reset()
    body = {"model": "intents-judged", "input": "When does the garage open?"}
    response = call(gateway, key, "POST", "/v1/classifications", json=body)
    assert response.json()["data"][0]["label"] == "parking"
    door = settled(gateway, "request_id = ?", (response.headers["x-request-id"],), 1)
    judged = settled(gateway, "endpoint = ?", ("internal.judge",), len(before) + 1)
    assert len(judged) == len(before) + 1, "the classification input was not screened"
    assert judged[-1]["key_id"] == door[0]["key_id"] is not None
    assert len(upstream.requests) == 1  # the judge's question, nothing else


def test_stored_responses_are_read_on_trips_of_their_own(gateway: GatewayProcess, key: str) -> None:
    created = call(gateway, key, "POST", "/v1/responses", json={"model": "ext", "input": "hi"})
    response_id = created.json()["id"]
    for method, path in (
        ("GET", f"/v1/responses/{response_id}"),
        ("GET", f"/v1/responses/{response_id}/input_items"),
        ("DELETE", f"/v1/responses/{response_id}"),
    ):
        answered = call(gateway, key, method, path)
        found = settled(gateway, "request_id = ?", (answered.headers["x-request-id"],), 1)
        assert len(found) == 1 and found[0]["endpoint"] == "responses.stored"
        assert found[0]["key_id"] is not None


def test_every_kind_counts_against_the_same_limit(gateway: GatewayProcess) -> None:
    """A key allowed 7 requests a minute gets 7 answers across the doors, then a 429, and an
    internal call counts as one of them."""
    created = gateway.admin(ADMIN, "POST", "/keys", json={"name": "tight", "limits": {"rpm": 7}})
    secret = created.json()["key"]
    for _, method, path, kw in [*DOORS[:4], CLASSIFY]:
        call(gateway, secret, method, path, **kw)
    judged = {"model": "judged", "messages": [{"role": "user", "content": "Hello"}]}
    call(gateway, secret, "POST", "/v1/chat/completions", json=judged)  # and its judge: 7
    refused = httpx.get(
        f"{gateway.base_url}/v1/models",
        headers={"authorization": f"Bearer {secret}"},
        timeout=30,
    )
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
