"""Prompt templates end to end: a real gateway process, a fake OpenAI upstream over loopback
that records what it was sent, the embedded model for one persona, the SQLite ledger file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import OpenAI

from tests.conftest import wait_for_ledger_row
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess

CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: smol, aliases: [default]}}
  - {{id: ext, provider: api, upstream_model: gpt-4o-mini}}
templates:
  innkeeper:
    system: "You are {{{{ character }}}}, an innkeeper. Speak in a {{{{ tone }}}} tone."
    variables:
      character: {{default: Mira}}
      tone: {{required: true}}
    examples:
      - {{user: "Any rooms free?", assistant: "One, by the fire, {{{{ character }}}} says."}}
  recruiter:
    system: "You screen candidates for {{{{ company }}}}. Be brief."
    variables: {{company: {{default: Acme}}}}
routes:
  tavern: {{targets: [ext], template: innkeeper}}
  hr: {{targets: [ext], template: recruiter}}
  hr-local: {{targets: [smol], template: recruiter}}
  hr-screened: {{targets: [ext], template: recruiter}}
guards:
  routes: {{hr-screened: redact}}
  policies:
    "off": {{}}
    redact: {{pii: {{action: redact, use_model: false}}}}
"""
RECRUITER_V1 = "You screen candidates for Acme. Be brief."


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[FakeBehaviour, str]]:
    behaviour = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(behaviour)) as url:
        yield behaviour, url


@pytest.fixture(scope="module")
def gateway(
    upstream: tuple[FakeBehaviour, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    home = tmp_path_factory.mktemp("templates")
    config = home / "switchgear.yaml"
    config.write_text(CONFIG.format(url=upstream[1]))
    process = GatewayProcess(home, config, env={"FAKE_KEY": "test-key"})
    yield process
    process.stop()


@pytest.fixture()
def fake(upstream: tuple[FakeBehaviour, str]) -> FakeBehaviour:
    upstream[0].reset()
    return upstream[0]


def openai_client(gateway: GatewayProcess) -> OpenAI:
    return OpenAI(base_url=f"{gateway.base_url}/v1", api_key="unused", max_retries=0)


def sent_messages(fake: FakeBehaviour) -> list[dict[str, Any]]:
    (only,) = fake.requests
    body = only["json"]
    assert not {"prompt_id", "prompt_version", "prompt_variables"} & set(body)
    return list(body["messages"])


def chat(gateway: GatewayProcess, **body: Any) -> httpx.Response:
    return httpx.post(f"{gateway.base_url}/v1/chat/completions", json=body, timeout=120)


def ask(model: str, **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "Hello there"}], **extra}


def test_a_route_persona_with_variables_reaches_the_upstream(
    gateway: GatewayProcess, fake: FakeBehaviour
) -> None:
    raw = openai_client(gateway).chat.completions.with_raw_response.create(
        model="tavern",
        messages=[{"role": "user", "content": "Hello there"}],
        extra_body={"prompt_variables": {"character": "Bram", "tone": "gruff"}},
    )
    answer = raw.parse()
    assert answer.choices[0].message.content == "fake-openai says: Hello there"
    assert sent_messages(fake) == [
        {"role": "system", "content": "You are Bram, an innkeeper. Speak in a gruff tone."},
        {"role": "user", "content": "Any rooms free?"},
        {"role": "assistant", "content": "One, by the fire, Bram says."},
        {"role": "user", "content": "Hello there"},
    ]
    row = wait_for_ledger_row(gateway.db_path, raw.headers["x-request-id"])
    assert row["template"] == "innkeeper@1"


def test_defaults_fill_what_the_request_leaves_out(
    gateway: GatewayProcess, fake: FakeBehaviour
) -> None:
    response = chat(gateway, **ask("tavern", prompt_variables={"tone": "warm"}))
    assert response.status_code == 200, response.text
    assert sent_messages(fake)[0]["content"] == "You are Mira, an innkeeper. Speak in a warm tone."


@pytest.mark.parametrize(
    ("extra", "param", "code"),
    [
        ({}, "prompt_variables.tone", "template_variable_invalid"),
        ({"prompt_variables": {"tone": "x", "mood": "y"}}, "prompt_variables.mood",
         "template_variable_invalid"),
        ({"prompt_id": "no-such-persona"}, "prompt_id", "template_not_found"),
        ({"prompt_id": "recruiter", "prompt_version": 7}, "prompt_version",
         "template_version_not_found"),
    ],
)  # fmt: skip
def test_a_bad_template_choice_is_a_400_naming_the_param(
    gateway: GatewayProcess, fake: FakeBehaviour, extra: dict[str, Any], param: str, code: str
) -> None:
    response = chat(gateway, **ask("tavern", **extra))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)
    assert fake.requests == []  # nothing left the gateway


def test_a_request_may_name_a_template_on_a_plain_model(
    gateway: GatewayProcess, fake: FakeBehaviour
) -> None:
    response = chat(
        gateway, **ask("ext", prompt_id="recruiter", prompt_variables={"company": "Initech"})
    )
    assert response.status_code == 200, response.text
    assert sent_messages(fake)[0] == {
        "role": "system",
        "content": "You screen candidates for Initech. Be brief.",
    }


def test_the_rendered_prompt_passes_the_guards_like_the_rest(
    gateway: GatewayProcess, fake: FakeBehaviour
) -> None:
    variables = {"company": "jane.doe@example.com"}
    response = chat(gateway, **ask("hr-screened", prompt_variables=variables))
    assert response.status_code == 200, response.text
    system = sent_messages(fake)[0]["content"]
    assert system == "You screen candidates for [EMAIL]. Be brief."


def test_the_anthropic_door_gets_the_persona_too(
    gateway: GatewayProcess, fake: FakeBehaviour
) -> None:
    body = {
        "model": "hr",
        "max_tokens": 30,
        "system": "Answer in English.",
        "messages": [{"role": "user", "content": "Hello there"}],
    }
    response = httpx.post(f"{gateway.base_url}/v1/messages", json=body, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["content"][0]["text"] == "fake-openai says: Hello there"
    messages = sent_messages(fake)
    assert messages[0] == {"role": "system", "content": RECRUITER_V1}
    assert [m["role"] for m in messages[1:]] == ["system", "user"]


def test_the_embedded_model_answers_in_persona_and_the_ledger_names_the_version(
    gateway: GatewayProcess,
) -> None:
    response = chat(gateway, **ask("hr-local", max_tokens=8))
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"].strip()
    assert response.headers["x-switchgear-target"] == "smol@local"
    row = wait_for_ledger_row(gateway.db_path, response.headers["x-request-id"])
    assert (row["route"], row["template"]) == ("hr-local", "recruiter@1")
    # The model read the persona: the same question with that system prompt written out by
    # hand is the same prompt, token for token (without it, the model's default one is used).
    by_hand = [
        {"role": "system", "content": RECRUITER_V1},
        {"role": "user", "content": "Hello there"},
    ]
    plain = chat(gateway, model="smol", messages=by_hand, max_tokens=8)
    bare = wait_for_ledger_row(gateway.db_path, plain.headers["x-request-id"])
    assert bare["template"] is None
    assert response.json()["usage"]["prompt_tokens"] == plain.json()["usage"]["prompt_tokens"]
    default = chat(gateway, **ask("smol", max_tokens=8))
    assert default.json()["usage"]["prompt_tokens"] != plain.json()["usage"]["prompt_tokens"]


def test_put_makes_a_new_version_requests_get_it_and_the_audit_chain_holds(
    gateway: GatewayProcess, fake: FakeBehaviour
) -> None:
    new = {"system": "You screen candidates for {{ company }}. Ask about Rust.",
           "variables": {"company": {"default": "Acme"}}}  # fmt: skip
    put = gateway.admin("unused", "PUT", "/templates/recruiter", json=new)
    assert put.status_code == 201, put.text
    assert (put.json()["version"], put.json()["source"]) == (2, "admin")
    again = gateway.admin("unused", "PUT", "/templates/recruiter", json=new)
    assert (again.status_code, again.json()["version"]) == (200, 2)  # same text: no new version

    latest = chat(gateway, **ask("hr"))
    assert sent_messages(fake)[0]["content"] == "You screen candidates for Acme. Ask about Rust."
    fake.reset()
    pinned = chat(gateway, **ask("hr", prompt_version=1))
    assert sent_messages(fake)[0]["content"] == RECRUITER_V1
    rows = [
        wait_for_ledger_row(gateway.db_path, r.headers["x-request-id"]) for r in (latest, pinned)
    ]
    assert [r["template"] for r in rows] == ["recruiter@2", "recruiter@1"]

    listed = gateway.admin("unused", "GET", "/templates").json()["data"]
    recruiter = [
        (t["version"], t["source"], t["latest"]) for t in listed if t["name"] == "recruiter"
    ]
    assert recruiter == [(1, "config", False), (2, "admin", True)]
    assert audit_actions(gateway.db_path, "templates.version") == [
        ("config", "innkeeper@1"), ("config", "recruiter@1"), ("admin", "recruiter@2"),
    ]  # fmt: skip
    verified = gateway.admin("unused", "GET", "/audit/verify").json()
    assert verified["ok"] is True, verified


def test_put_refuses_a_template_that_does_not_parse(gateway: GatewayProcess) -> None:
    broken = gateway.admin("unused", "PUT", "/templates/recruiter", json={"system": "Hi {{ name"})
    assert broken.status_code == 400
    assert broken.json()["error"]["param"] == "system"
    undeclared = gateway.admin("unused", "PUT", "/templates/x", json={"system": "Hi {{ who }}"})
    assert undeclared.status_code == 400 and "`who`" in undeclared.json()["error"]["message"]


def audit_actions(db: Path, action: str) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT actor, subject FROM audit WHERE action = ? ORDER BY seq", (action,)
        ).fetchall()
    return [(str(a), str(s)) for a, s in rows]


def test_a_changed_config_template_becomes_version_2_at_the_next_start(tmp_path: Path) -> None:
    config = tmp_path / "switchgear.yaml"
    base = """
models:
  - {{id: ext, provider: api, upstream_model: gpt-4o-mini}}
providers:
  api: {{kind: openai_compat, base_url: "http://127.0.0.1:9/v1"}}
templates:
  greeter: {{system: "{text}"}}
"""
    for text in ("Greet the guest.", "Greet the guest.", "Greet the guest warmly."):
        config.write_text(base.format(text=text))
        process = GatewayProcess(tmp_path, config)
        listed = process.admin("unused", "GET", "/templates").json()["data"]
        process.stop()
    assert [(t["version"], t["system"], t["latest"]) for t in listed] == [
        (1, "Greet the guest.", False),
        (2, "Greet the guest warmly.", True),
    ]
    events = audit_actions(tmp_path / "switchgear.db", "templates.version")
    assert events == [("config", "greeter@1"), ("config", "greeter@2")]  # the restart: none
    with sqlite3.connect(tmp_path / "switchgear.db") as conn:
        (detail,) = conn.execute("SELECT detail FROM audit WHERE subject = 'greeter@2'").fetchone()
    assert json.loads(detail)["previous"] == 1
