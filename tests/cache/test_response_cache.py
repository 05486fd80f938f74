"""The response cache through a real gateway and a recording OpenAI fake (it echoes the
prompt, so a replayed answer shows which request it was first written for): exact and semantic
hits, streamed replays, partitions by key and team, Cache-Control, expiry, and pseudonymised
answers restored with the asking request's own values."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import wait_for_ledger_row
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess, keyed_gateway

CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini, input_price_per_mtok: 5,
      output_price_per_mtok: 15}}
routes:
  faq: {{targets: [gpt-fake], cache: {{mode: exact, ttl_s: 600}}}}
  helpdesk: {{targets: [gpt-fake], cache: {{mode: semantic, ttl_s: 600, threshold: 0.9}}}}
  shared: {{targets: [gpt-fake], cache: {{partition: team}}}}
  brief: {{targets: [gpt-fake], cache: {{ttl_s: 1}}}}
  private: {{targets: [gpt-fake], cache: {{}}}}
guards:
  routes: {{private: pseudo}}
  policies:
    "off": {{}}
    pseudo: {{pii: {{action: pseudonymize, use_model: false}}}}
"""


@pytest.fixture(scope="module")
def setup(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[GatewayProcess, FakeBehaviour, list[str]]]:
    behaviour = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(behaviour)) as url:
        home = tmp_path_factory.mktemp("cache")
        with keyed_gateway(home, CONFIG.format(url=url), env={"FAKE_KEY": "test-key"}) as (
            gateway,
            _,
        ):
            keys = []
            for name, team in (("alice", "support"), ("bob", "support"), ("carol", "sales")):
                made = gateway.admin(
                    "sg-admin-key-for-tests", "POST", "/keys", json={"name": name, "team": team}
                )
                keys.append(made.json()["key"])
            yield gateway, behaviour, keys


def ask(gateway: GatewayProcess, key: str, route: str, text: str, **extra: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}", **extra.pop("headers", {})}
    body = {"model": route, "messages": [{"role": "user", "content": text}], "max_tokens": 30,
            **extra}  # fmt: skip
    return httpx.post(
        f"{gateway.base_url}/v1/chat/completions", json=body, headers=headers, timeout=60
    )


def answer(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return str(response.json()["choices"][0]["message"]["content"])


def upstream_calls(behaviour: FakeBehaviour) -> int:
    return sum(1 for r in behaviour.requests if r["path"].endswith("/chat/completions"))


def test_the_same_request_is_answered_from_the_cache_for_free(
    setup: tuple[GatewayProcess, FakeBehaviour, list[str]],
) -> None:
    gateway, behaviour, (alice, _, _) = setup
    before = upstream_calls(behaviour)
    first = ask(gateway, alice, "faq", "What are the opening hours?")
    second = ask(gateway, alice, "faq", "What are the opening hours?")
    assert first.headers["x-switchgear-cache"] == "miss"
    assert second.headers["x-switchgear-cache"] == "hit"
    assert answer(second) == answer(first) and upstream_calls(behaviour) == before + 1
    row = wait_for_ledger_row(gateway.db_path, second.headers["x-request-id"])
    assert row["target"] == "gpt-fake@cache" and row["cost"] == 0
    assert row["completion_tokens"] > 0
    paid = wait_for_ledger_row(gateway.db_path, first.headers["x-request-id"])
    assert paid["cost"] > 0
    # Streamed, the cached answer is replayed as a stream.
    body = {"model": "faq", "stream": True, "max_tokens": 30,
            "messages": [{"role": "user", "content": "What are the opening hours?"}]}  # fmt: skip
    with httpx.stream(
        "POST",
        f"{gateway.base_url}/v1/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {alice}"},
        timeout=60,
    ) as streamed:
        assert streamed.headers["x-switchgear-cache"] == "hit"
        text = "".join(streamed.iter_text())  # fmt: skip
    chunks = [json.loads(line[6:]) for line in text.splitlines()
              if line.startswith("data: {")]  # fmt: skip
    replayed = "".join(
        c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]
    )
    assert replayed == answer(first) and text.rstrip().endswith("data: [DONE]")
    assert upstream_calls(behaviour) == before + 1


def test_nothing_is_served_across_keys_unless_the_route_shares_by_team(
    setup: tuple[GatewayProcess, FakeBehaviour, list[str]],
) -> None:
    gateway, _behaviour, (alice, bob, carol) = setup
    ask(gateway, alice, "faq", "Where is the office?")
    assert ask(gateway, bob, "faq", "Where is the office?").headers["x-switchgear-cache"] == "miss"
    ask(gateway, alice, "shared", "Team question")
    assert ask(gateway, bob, "shared", "Team question").headers["x-switchgear-cache"] == "hit"
    other_team = ask(gateway, carol, "shared", "Team question")
    assert other_team.headers["x-switchgear-cache"] == "miss"


def test_a_paraphrase_hits_a_semantic_route_and_another_question_does_not(
    setup: tuple[GatewayProcess, FakeBehaviour, list[str]],
) -> None:
    gateway, _, (alice, _, _) = setup
    first = ask(gateway, alice, "helpdesk", "How do I reset my password?")
    paraphrase = ask(gateway, alice, "helpdesk", "How can I reset my password?")
    assert paraphrase.headers["x-switchgear-cache"] == "hit"
    assert answer(paraphrase) == answer(first)
    other = ask(gateway, alice, "helpdesk", "How do I close my account?")
    assert other.headers["x-switchgear-cache"] == "miss"
    assert "close my account" in answer(other)


def test_cache_control_from_the_client(
    setup: tuple[GatewayProcess, FakeBehaviour, list[str]],
) -> None:
    gateway, _behaviour, (alice, _, _) = setup
    ask(gateway, alice, "faq", "Refund policy?")
    fresh = ask(gateway, alice, "faq", "Refund policy?", headers={"cache-control": "no-cache"})
    assert fresh.headers["x-switchgear-cache"] == "miss"
    unkept = ask(gateway, alice, "faq", "Shipping times?", headers={"cache-control": "no-store"})
    assert unkept.headers["x-switchgear-cache"] == "miss"
    time.sleep(0.5)  # the answer would have been kept by now
    assert ask(gateway, alice, "faq", "Shipping times?").headers["x-switchgear-cache"] == "miss"
    time.sleep(1.1)
    old = ask(gateway, alice, "faq", "Shipping times?", headers={"cache-control": "max-age=1"})
    assert old.headers["x-switchgear-cache"] == "miss"


def test_entries_expire(setup: tuple[GatewayProcess, FakeBehaviour, list[str]]) -> None:
    gateway, _, (alice, _, _) = setup
    ask(gateway, alice, "brief", "Quick one")
    time.sleep(0.3)
    assert ask(gateway, alice, "brief", "Quick one").headers["x-switchgear-cache"] == "hit"
    time.sleep(1.2)
    assert ask(gateway, alice, "brief", "Quick one").headers["x-switchgear-cache"] == "miss"


def test_a_pseudonymised_answer_comes_back_with_the_askers_own_values(
    setup: tuple[GatewayProcess, FakeBehaviour, list[str]],
) -> None:
    gateway, _behaviour, (alice, _, _) = setup
    first = ask(gateway, alice, "private", "Email jane.doe@example.com about the invoice")
    assert "jane.doe@example.com" in answer(first)
    second = ask(gateway, alice, "private", "Email max.mustermann@example.org about the invoice")
    assert second.headers["x-switchgear-cache"] == "hit"  # the upstream saw the same request
    text = answer(second)
    assert "max.mustermann@example.org" in text and "jane.doe" not in text
    with sqlite3.connect(gateway.db_path) as db:
        stored = " ".join(row[0] for row in db.execute("SELECT answer FROM response_cache"))
    assert "jane.doe@example.com" not in stored and "<EMAIL_1>" in stored


def test_a_route_without_cache_is_never_cached(tmp_path: Path) -> None:
    with keyed_gateway(tmp_path, "models: [{id: smollm2-135m-instruct, aliases: [default]}]\n",
                       "k") as (gateway, [key]):  # fmt: skip
        response = ask(gateway, key, "default", "Hi", max_tokens=2)
        assert response.status_code == 200 and "x-switchgear-cache" not in response.headers
