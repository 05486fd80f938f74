"""`/v1/models` lists every name a client may send as `model`, with its kind, so a model
picker (Open WebUI, `llm`, an IDE plug-in) can offer routes and aliases, and a key sees only
the names it may use."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from openai import OpenAI

from tests.gateway_process import TEST_ADMIN_KEY, GatewayProcess, keyed_gateway

CONFIG = """
models:
  - {id: smollm2-135m-instruct, provider: local, path: embedded, aliases: [default, small]}
routes:
  chat: {targets: [smollm2-135m-instruct]}
  handbook: {targets: [smollm2-135m-instruct], knowledge: {collection: handbook}}
guards:
  moderation_backends:
    strict-lexicon: {kind: local}
"""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    with keyed_gateway(tmp_path_factory.mktemp("catalog"), CONFIG) as (process, _):
        yield process


def client(gateway: GatewayProcess, key: str) -> OpenAI:
    return OpenAI(base_url=f"{gateway.base_url}/v1", api_key=key, max_retries=0)


def test_every_name_a_client_may_send_is_listed_with_its_kind(gateway: GatewayProcess) -> None:
    data = client(gateway, TEST_ADMIN_KEY).models.list().data
    listed = {m.id: m.model_dump() for m in data}
    assert len(listed) == len(data)  # one entry per name: a picker keyed by id shows each once
    kinds = {name: entry["kind"] for name, entry in listed.items()}
    assert kinds == {
        "smollm2-135m-instruct": "model",
        "default": "alias",
        "small": "alias",
        "chat": "route",
        "handbook": "route",
        "all-minilm-l6-v2": "embedding",
        "multilingual-embed": "embedding",
        "local": "moderation",
        "strict-lexicon": "moderation",
    }
    assert listed["handbook"]["knowledge"] == "handbook"
    assert listed["chat"]["targets"] == ["smollm2-135m-instruct"]
    assert listed["small"]["alias_of"] == "smollm2-135m-instruct"
    assert all(entry["object"] == "model" and entry["owned_by"] for entry in listed.values())


def test_each_listed_name_can_be_retrieved(gateway: GatewayProcess) -> None:
    oai = client(gateway, TEST_ADMIN_KEY)
    assert oai.models.retrieve("chat").model_dump()["kind"] == "route"
    assert oai.models.retrieve("all-minilm-l6-v2").model_dump()["dimensions"] == 384
    assert (
        oai.models.retrieve("small").id == "smollm2-135m-instruct"
    )  # an alias answers as its model
    with pytest.raises(openai.NotFoundError):
        oai.models.retrieve("gpt-9")


def test_a_key_sees_only_the_names_it_may_use(gateway: GatewayProcess) -> None:
    created = gateway.admin(
        TEST_ADMIN_KEY, "POST", "/keys", json={"name": "narrow", "allowed_models": ["chat"]}
    )
    assert created.status_code == 201, created.text
    narrow = client(gateway, created.json()["key"])
    assert [m.id for m in narrow.models.list().data] == ["chat"]
    with pytest.raises(openai.NotFoundError):
        narrow.models.retrieve("handbook")
    answer = narrow.chat.completions.create(
        model="chat", messages=[{"role": "user", "content": "hi"}], max_tokens=2
    )
    assert answer.choices[0].message.content is not None
