"""Embeddings go through the route stage like chats: the registry's policies keep a caller off
an external embedding model, and a route may fall back from an upstream embedding model to a
built-in one (when the upstream fails, or when a policy rules it out for this caller)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api.test_embeddings_routing import FakeEmbeddings
from tests.conftest import wait_for_ledger_row
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess

ADMIN = "admin-secret-for-embedding-policies"

CONFIG = """
resilience: {{backoff_base_s: 0.01, breaker_failures: 1000}}
providers:
  vendor: {{kind: openai_compat, base_url: "{vendor}/v1"}}
models:
  - {{id: smollm2-135m-instruct, aliases: [default]}}
  - {{id: vendor-embed, provider: vendor, upstream_model: text-embedding-3-small,
      kind: embedding, licence: proprietary, region: us}}
routes:
  embed: {{targets: [vendor-embed, multilingual-embed], retries: 0}}
governance:
  apps:
    clinic: {{tags: [in-house-only]}}
  policies:
    - name: clinic-stays-in-house
      when: {{tags_any: [in-house-only]}}
      deny: {{external: true}}
"""


@dataclass
class Setup:
    gateway: GatewayProcess
    vendor: FakeEmbeddings
    clinic: str  # a key of the app the policy keeps in-house
    shop: str  # a key of an app no policy restricts

    def embed(self, key: str, model: str, text: str = "Patient notes") -> httpx.Response:
        return httpx.post(
            f"{self.gateway.base_url}/v1/embeddings",
            json={"model": model, "input": text},
            headers={"authorization": f"Bearer {key}"},
            timeout=120,
        )

    def served(self, response: httpx.Response) -> tuple[str, str]:
        row = wait_for_ledger_row(self.gateway.db_path, response.headers["x-request-id"])
        return row["route"], row["served_model"]


def _key(gateway: GatewayProcess, **fields: Any) -> str:
    response = gateway.admin(ADMIN, "POST", "/keys", json=fields)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    vendor = FakeEmbeddings()
    with run_fake(vendor.app()) as url:
        home = tmp_path_factory.mktemp("embedding-policies")
        config = home / "switchgear.yaml"
        config.write_text(CONFIG.format(vendor=url))
        gateway = GatewayProcess(home, config, env={"SWITCHGEAR_ADMIN_KEY": ADMIN})
        try:
            clinic = _key(gateway, name="clinic", app="clinic")
            shop = _key(gateway, name="shop", app="shop")
            yield Setup(gateway, vendor, clinic, shop)
        finally:
            gateway.stop()


@pytest.fixture(autouse=True)
def fresh(setup: Setup) -> None:
    setup.vendor.received.clear()
    setup.vendor.fail = False


def test_a_policy_keeps_a_caller_off_an_external_embedding_model(setup: Setup) -> None:
    refused = setup.embed(setup.clinic, "vendor-embed")
    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert error["code"] == "policy_violation" and "clinic-stays-in-house" in error["message"]
    assert setup.vendor.received == [], "the text never left"
    assert setup.embed(setup.shop, "vendor-embed").status_code == 200


def test_the_route_serves_a_restricted_caller_from_the_built_in_embedder(setup: Setup) -> None:
    kept = setup.embed(setup.clinic, "embed")
    assert kept.status_code == 200, kept.text
    assert kept.json()["model"] == "multilingual-embed"
    assert len(kept.json()["data"][0]["embedding"]) == 384
    assert setup.vendor.received == []
    assert setup.served(kept) == ("embed", "multilingual-embed")
    other = setup.embed(setup.shop, "embed")
    assert other.json()["model"] == "vendor-embed" and len(setup.vendor.received) == 1


def test_a_failing_upstream_embedder_falls_back_to_the_built_in_one(setup: Setup) -> None:
    setup.vendor.fail = True
    response = setup.embed(setup.shop, "embed", "Quarterly report")
    assert response.status_code == 200, response.text
    assert response.json()["model"] == "multilingual-embed"
    assert len(setup.vendor.received) == 1, "the upstream was tried first"
    assert setup.served(response) == ("embed", "multilingual-embed")


def test_the_listing_shows_each_built_in_embedder_once(setup: Setup) -> None:
    listing = httpx.get(
        f"{setup.gateway.base_url}/v1/models",
        headers={"authorization": f"Bearer {setup.shop}"},
        timeout=30,
    ).json()["data"]
    ids = [entry["id"] for entry in listing]
    assert ids.count("multilingual-embed") == 1
    kinds = {entry["id"]: entry["kind"] for entry in listing}
    assert kinds["multilingual-embed"] == "embedding" and kinds["embed"] == "route"
