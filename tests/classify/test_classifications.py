"""`POST /v1/classifications` through a real gateway process: the built-in MiniLM embedder sorts
a shop's customer messages into its intents (phrasings the config's examples do not hold),
the route's guard policy screens the inputs, each request leaves one ledger row, keys are held
to their models, and a `method: generate` route has the embedded model choose a label under a
grammar, as an internal trip charged to the caller."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import ledger_rows, wait_for_ledger_row
from tests.gateway_process import GatewayProcess

ADMIN = "admin-secret-for-classification-tests"
INTENTS = ["order_status", "refund", "product_question", "human_agent"]
CONFIG = """
server: {max_items: 16}
routes:
  commerce:
    targets: [default]
    classify:
      threshold: 0.3
      fallback: human_agent       # a message the bot cannot place goes to a person
      labels: &intents
        order_status:
          description: The customer asks where their order or delivery is
          examples: ["Where is my order?", "Has my package shipped yet?",
                     "When will my delivery arrive?", "Can I get the tracking number?"]
        refund:
          description: The customer wants their money back for a purchase
          examples: ["I want a refund.", "Please return the money for this item.",
                     "How do I get reimbursed for a broken product?",
                     "Cancel my order and pay me back."]
        product_question:
          description: The customer asks about a product's features, size, stock or fit
          examples: ["Is this jacket waterproof?", "Does the phone case fit the Pixel 8?",
                     "What sizes does this shoe come in?", "Is the blender in stock?"]
        human_agent:
          description: The customer wants to talk to a person instead of the bot
          examples: ["Let me speak to a human.", "Connect me with a real agent please.",
                     "I want to talk to customer service staff.", "Can I call someone?"]
  commerce-multi:
    targets: [default]
    classify: {threshold: 0.45, multi_label: true, labels: *intents}
  commerce-llm:
    targets: [default]
    classify: {method: generate, labels: *intents}
  chat-only: {targets: [default]}
guards:
  routes: {commerce: strict}
  policies:
    "off": {}
    strict: {pii: {action: block, use_model: false}}
"""
# Written apart from the examples above: none of them shares a sentence with the config.
HELD_OUT = [
    ("My parcel still hasn't turned up, any idea where it is?", "order_status"),
    ("It's been ten days since I ordered, what's the shipping status?", "order_status"),
    ("Tracking says out for delivery since Monday, what is going on?", "order_status"),
    ("The toaster arrived cracked, I'd like my money returned.", "refund"),
    ("I sent the sweater back last week, when do I get reimbursed?", "refund"),
    ("Are these running shoes available in size 44?", "product_question"),
    ("Is the wool scarf machine washable?", "product_question"),
    ("Stop the automated replies, I need an actual person.", "human_agent"),
    ("Transfer me to a live representative.", "human_agent"),
    ("Is there a phone number where someone picks up?", "human_agent"),
]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    home = tmp_path_factory.mktemp("classify")
    config = home / "switchgear.yaml"
    config.write_text(CONFIG)
    process = GatewayProcess(home, config, env={"SWITCHGEAR_ADMIN_KEY": ADMIN})
    yield process
    process.stop()


def new_key(gateway: GatewayProcess, **fields: Any) -> str:
    created = gateway.admin(ADMIN, "POST", "/keys", json=fields)
    assert created.status_code == 201, created.text
    secret: str = created.json()["key"]
    return secret


@pytest.fixture(scope="module")
def key(gateway: GatewayProcess) -> str:
    return new_key(gateway, name="shop-bot")


def classify(gateway: GatewayProcess, key: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{gateway.base_url}/v1/classifications",
        json=body,
        headers={"authorization": f"Bearer {key}"},
        timeout=120,
    )


def test_held_out_phrasings_get_their_intent(gateway: GatewayProcess, key: str) -> None:
    texts = [text for text, _ in HELD_OUT]
    response = classify(gateway, key, {"model": "commerce", "input": texts})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list" and body["model"] == "commerce"
    assert [item["index"] for item in body["data"]] == list(range(len(texts)))
    assert [item["label"] for item in body["data"]] == [want for _, want in HELD_OUT]
    for item in body["data"]:
        assert sorted(item["scores"]) == sorted(INTENTS)
        assert item["score"] == max(item["scores"].values()) >= 0.3
    assert body["usage"]["prompt_tokens"] == body["usage"]["total_tokens"] > len(texts)


def test_a_message_no_label_fits_gets_the_fallback(gateway: GatewayProcess, key: str) -> None:
    response = classify(
        gateway, key, {"model": "commerce", "input": "Tell me a joke about penguins."}
    )
    assert response.status_code == 200, response.text
    (item,) = response.json()["data"]
    assert item["label"] == "human_agent"
    assert item["score"] < 0.3  # under the threshold: the fallback, not the nearest label


def test_multi_label_names_every_intent_over_the_threshold(
    gateway: GatewayProcess, key: str
) -> None:
    texts = [
        "I want my money back and I'd like to talk to a real person about it.",
        "Where is my order? If it's lost, refund me.",
        "Is the wool scarf machine washable?",
    ]
    response = classify(gateway, key, {"model": "commerce-multi", "input": texts})
    assert response.status_code == 200, response.text
    labels = [item["labels"] for item in response.json()["data"]]
    assert labels == [["refund", "human_agent"], ["order_status", "refund"], []]
    assert [item["label"] for item in response.json()["data"]] == [
        "refund",
        "order_status",
        None,  # nothing over 0.45 and no fallback on this route
    ]


def test_each_request_leaves_one_ledger_row(gateway: GatewayProcess, key: str) -> None:
    response = classify(gateway, key, {"model": "commerce", "input": ["Where is my order?"]})
    assert response.status_code == 200, response.text
    row = wait_for_ledger_row(gateway.db_path, response.headers["x-request-id"])
    assert row["endpoint"] == "classifications" and row["status"] == "ok"
    assert row["model"] == row["route"] == "commerce"
    assert row["key_id"] is not None
    assert row["prompt_tokens"] == response.json()["usage"]["prompt_tokens"]
    rows = ledger_rows(gateway.db_path, "request_id = ?", (response.headers["x-request-id"],))
    assert len(rows) == 1


def test_the_route_guard_policy_screens_the_inputs(gateway: GatewayProcess, key: str) -> None:
    text = "Refund order 1234 to jane.doe@example.com please"
    response = classify(gateway, key, {"model": "commerce", "input": ["Where is it?", text]})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "pii_blocked" and error["type"] == "invalid_request_error"
    assert "EMAIL" in error["message"] and "jane.doe" not in error["message"]
    row = wait_for_ledger_row(gateway.db_path, response.headers["x-request-id"])
    assert row["endpoint"] == "classifications" and row["error_code"] == "pii_blocked"
    assert "jane.doe" not in (row["guard"] or "") and "pii" in (row["guard"] or "")


def test_a_route_without_classify_and_an_unknown_name_are_refused(
    gateway: GatewayProcess, key: str
) -> None:
    for model in ("chat-only", "default"):
        response = classify(gateway, key, {"model": model, "input": "Where is my order?"})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "not_a_classifier" and error["param"] == "model"
        assert "commerce" in error["message"]  # it names the routes that do classify
    response = classify(gateway, key, {"model": "no-such-route", "input": "hi"})
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "model_not_found"


def test_too_many_inputs_are_refused_by_the_server_limit(gateway: GatewayProcess, key: str) -> None:
    response = classify(gateway, key, {"model": "commerce", "input": ["Where is it?"] * 17})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "too_many_items" and "server.max_items" in error["message"]
    empty = classify(gateway, key, {"model": "commerce", "input": []})
    assert empty.status_code == 400 and empty.json()["error"]["param"] == "input"


def test_a_key_may_classify_only_with_its_models(gateway: GatewayProcess) -> None:
    narrow = new_key(gateway, name="narrow", allowed_models=["commerce"])
    allowed = classify(gateway, narrow, {"model": "commerce", "input": "Where is my order?"})
    assert allowed.status_code == 200, allowed.text
    refused = classify(gateway, narrow, {"model": "commerce-multi", "input": "Where is it?"})
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "model_not_allowed"
    without = httpx.post(
        f"{gateway.base_url}/v1/classifications",
        json={"model": "commerce", "input": "Where is my order?"},
        timeout=30,
    )
    assert without.status_code == 401, without.text


def test_generate_route_has_the_model_choose_a_label(gateway: GatewayProcess, key: str) -> None:
    before = len(ledger_rows(gateway.db_path, "endpoint = ?", ("internal.classify",)))
    texts = ["Where is my order?", "Let me speak to a human."]
    response = classify(gateway, key, {"model": "commerce-llm", "input": texts})
    assert response.status_code == 200, response.text
    body = response.json()
    for item in body["data"]:
        # The grammar admits only the label names: whatever the small model thinks, the
        # answer is one of them, with the chosen one scored 1.
        assert item["label"] in INTENTS
        assert item["scores"] == {name: float(name == item["label"]) for name in INTENTS}
    assert body["usage"]["completion_tokens"] > 0
    door = wait_for_ledger_row(gateway.db_path, response.headers["x-request-id"])
    internal = internal_rows(gateway, before + len(texts))
    assert len(internal) == before + len(texts)  # one trip per input
    assert {row["key_id"] for row in internal[before:]} == {door["key_id"]}
    assert {row["served_model"] for row in internal[before:]} == {"smollm2-135m-instruct"}


def internal_rows(gateway: GatewayProcess, count: int) -> list[Any]:
    """The `internal.classify` rows, once there are `count` (each trip's row is written off
    the request path)."""
    deadline = time.monotonic() + 10
    while True:
        rows = ledger_rows(gateway.db_path, "endpoint = ?", ("internal.classify",))
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def test_openapi_documents_the_endpoint(gateway: GatewayProcess) -> None:
    document = httpx.get(f"{gateway.base_url}/openapi.json", timeout=30).json()
    operation = document["paths"]["/v1/classifications"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    properties = document["components"]["schemas"][name]["properties"]
    assert {"model", "input"} <= set(properties)
    assert json.dumps(properties["input"]).count("minLength") == 2
