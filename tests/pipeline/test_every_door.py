"""One set of rules whatever the door: personal data in every field a request can carry, sent
through each door that forwards text, under each PII action. A capturing fake upstream proves
what left, the client proves what came back, the ledger file proves what was kept.

Add each new door to `DOORS`; the assertions hold for all of them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess

# Every value is detected by the exact recognisers or the name model, and each sits in its own
# field, so a field the guards forget shows up as exactly that value reaching the upstream.
ASKED_EMAIL = "jane.doe@example.com"
ASKED_IBAN = "DE89370400440532013000"
IN_SYSTEM = "4111 1111 1111 1111"
IN_NAME = "Maria_Gonzalez"
IN_TOOL_ARGS = "mary.major@example.org"
IN_TOOL_RESULT = "+44 20 7946 0958"
IN_TOOL_DESCRIPTION = "bob.builder@example.net"
IN_TOOL_PARAMETERS = "GB82WEST12345698765432"
IN_TOOL_ENUM = "alice.a@example.com"
IN_STOP = "carol.c@example.com"
IN_SCHEMA = "dave.d@example.com"
IN_USER = "erin.e@example.com"
IN_METADATA = "frank.f@example.com"
IN_SECOND_PROMPT = "+1 415 555 0132"
IN_SUFFIX = "greg.g@example.com"
ASKED = f"Please write to {ASKED_EMAIL} about account {ASKED_IBAN}."


def chat_body(model: str) -> dict[str, Any]:
    schema = {
        "type": "object",
        "description": f"A reply to {IN_SCHEMA}",
        "properties": {"answer": {"type": "string"}},
    }
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": f"The customer's card is {IN_SYSTEM}."},
            {"role": "user", "content": "Look up my order.", "name": IN_NAME},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {
                            "name": "lookup",
                            "arguments": f'{{"email": "{IN_TOOL_ARGS}"}}',
                        },
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": f"Phone {IN_TOOL_RESULT}"},
            {"role": "user", "content": ASKED},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "lookup",
                    "description": f"Orders of {IN_TOOL_DESCRIPTION}",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "account": {
                                "type": "string",
                                "description": f"Like {IN_TOOL_PARAMETERS}",
                            },
                            "email": {"type": "string", "enum": [IN_TOOL_ENUM]},
                        },
                    },
                },
            }
        ],
        "tool_choice": "none",
        "stop": [IN_STOP],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "reply", "schema": schema},
        },
        "user": IN_USER,
        "metadata": {"customer": IN_METADATA},
    }


def completions_body(model: str) -> dict[str, Any]:
    return {
        "model": model,
        "prompt": [ASKED, f"Call me on {IN_SECOND_PROMPT} today."],
        "suffix": f" Signed, {IN_SUFFIX}",
        "stop": [IN_STOP],
        "user": IN_USER,
        "max_tokens": 40,
    }


def messages_body(model: str) -> dict[str, Any]:
    """The Anthropic Messages door: the same values in the fields that door has."""
    return {
        "model": model,
        "max_tokens": 40,
        "system": [{"type": "text", "text": f"The customer's card is {IN_SYSTEM}."}],
        "messages": [
            {"role": "user", "content": "Look up my order."},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "toolu_1", "name": "lookup",
                     "input": {"email": IN_TOOL_ARGS}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1",
                     "content": [{"type": "text", "text": f"Phone {IN_TOOL_RESULT}"}]},
                    {"type": "text", "text": ASKED},
                ],
            },
        ],
        "tools": [
            {
                "name": "lookup",
                "description": f"Orders of {IN_TOOL_DESCRIPTION}",
                "input_schema": {
                    "type": "object",
                    "properties": {
                        "account": {"type": "string", "description": f"Like {IN_TOOL_PARAMETERS}"},
                        "email": {"type": "string", "enum": [IN_TOOL_ENUM]},
                    },
                },
            }
        ],
        "tool_choice": {"type": "none"},
        "stop_sequences": [IN_STOP],
        "metadata": {"user_id": IN_USER},
    }  # fmt: skip


def responses_body(model: str) -> dict[str, Any]:
    """The Responses door (`store: false`: a stored response keeps what the caller sent)."""
    schema = {
        "type": "object",
        "description": f"A reply to {IN_SCHEMA}",
        "properties": {"answer": {"type": "string"}},
    }
    return {
        "model": model,
        "store": False,
        "instructions": f"The customer's card is {IN_SYSTEM}.",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Look up my order."}]},
            {"type": "function_call", "call_id": "call_1", "name": "lookup",
             "arguments": f'{{"email": "{IN_TOOL_ARGS}"}}'},
            {"type": "function_call_output", "call_id": "call_1",
             "output": f"Phone {IN_TOOL_RESULT}"},
            {"role": "user", "content": ASKED},
        ],
        "tools": [
            {
                "type": "function",
                "name": "lookup",
                "description": f"Orders of {IN_TOOL_DESCRIPTION}",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "account": {"type": "string", "description": f"Like {IN_TOOL_PARAMETERS}"},
                        "email": {"type": "string", "enum": [IN_TOOL_ENUM]},
                    },
                },
            }
        ],
        "tool_choice": "none",
        "text": {"format": {"type": "json_schema", "name": "reply", "schema": schema}},
        "user": IN_USER,
        "metadata": {"customer": IN_METADATA},
    }  # fmt: skip


DOORS: dict[str, tuple[str, Callable[[str], dict[str, Any]], list[str]]] = {
    "chat": (
        "/v1/chat/completions",
        chat_body,
        [
            ASKED_EMAIL,
            ASKED_IBAN,
            IN_SYSTEM,
            IN_NAME,
            IN_TOOL_ARGS,
            IN_TOOL_RESULT,
            IN_TOOL_DESCRIPTION,
            IN_TOOL_PARAMETERS,
            IN_TOOL_ENUM,
            IN_STOP,
            IN_SCHEMA,
            IN_USER,
            IN_METADATA,
        ],
    ),
    "completions": (
        "/v1/completions",
        completions_body,
        [ASKED_EMAIL, ASKED_IBAN, IN_SECOND_PROMPT, IN_SUFFIX, IN_STOP, IN_USER],
    ),
    "anthropic": (
        "/v1/messages",
        messages_body,
        [
            ASKED_EMAIL,
            ASKED_IBAN,
            IN_SYSTEM,
            IN_TOOL_ARGS,
            IN_TOOL_RESULT,
            IN_TOOL_DESCRIPTION,
            IN_TOOL_PARAMETERS,
            IN_TOOL_ENUM,
            IN_STOP,
            IN_USER,
        ],
    ),
    "responses": (
        "/v1/responses",
        responses_body,
        [
            ASKED_EMAIL,
            ASKED_IBAN,
            IN_SYSTEM,
            IN_TOOL_ARGS,
            IN_TOOL_RESULT,
            IN_TOOL_DESCRIPTION,
            IN_TOOL_PARAMETERS,
            IN_TOOL_ENUM,
            IN_SCHEMA,
            IN_USER,
            IN_METADATA,
        ],
    ),
}


def error_code(door: str, response: httpx.Response) -> str:
    """The refusal's code; Anthropic's error shape has none, so its message is read instead."""
    body = response.json()
    if door == "anthropic":
        assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
        return str(body["error"]["message"])
    return str(body["error"]["code"])


CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{external}/v1", api_key_env: FAKE_KEY}}
  inhouse: {{kind: openai_compat, base_url: "{inhouse}/v1", api_key_env: FAKE_KEY,
            self_hosted: true}}
models:
  - {{id: smol, aliases: [default]}}
  - {{id: ext, provider: api, upstream_model: gpt-4o-mini}}
  - {{id: own, provider: inhouse, upstream_model: llama-3-8b}}
routes:
  pseudonymize: {{targets: [ext], feed: {{fields: [type, note, reporter]}}}}
  redact: {{targets: [ext], feed: {{fields: [type, note, reporter]}}}}
  block: {{targets: [ext], feed: {{fields: [type, note, reporter]}}}}
  route_local: {{targets: [ext, own], feed: {{fields: [type, note, reporter]}}}}
  moderated: {{targets: [ext]}}
guards:
  routes: {{pseudonymize: pseudonymize, redact: redact, block: block, route_local: route_local,
           moderated: moderated}}
  policies:
    off: {{}}
    pseudonymize: {{pii: {{action: pseudonymize}}}}
    redact: {{pii: {{action: redact}}}}
    block: {{pii: {{action: block}}}}
    route_local: {{pii: {{action: route_local}}}}
    moderated:
      moderation: {{backend: local, action: block, input: true}}
"""


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[FakeBehaviour, FakeBehaviour, str, str]]:
    external, inhouse = FakeBehaviour(api_key="test-key"), FakeBehaviour(api_key="test-key")
    with (
        run_fake(create_openai_fake(external)) as external_url,
        run_fake(create_openai_fake(inhouse)) as inhouse_url,
    ):
        yield external, inhouse, external_url, inhouse_url


@pytest.fixture(scope="module")
def gateway(
    upstreams: tuple[FakeBehaviour, FakeBehaviour, str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[GatewayProcess]:
    home = tmp_path_factory.mktemp("every-door")
    config = home / "switchgear.yaml"
    config.write_text(CONFIG.format(external=upstreams[2], inhouse=upstreams[3]))
    process = GatewayProcess(home, config, env={"FAKE_KEY": "test-key"})
    yield process
    process.stop()


@pytest.fixture()
def fakes(
    upstreams: tuple[FakeBehaviour, FakeBehaviour, str, str],
) -> tuple[FakeBehaviour, FakeBehaviour]:
    upstreams[0].reset()
    upstreams[1].reset()
    return upstreams[0], upstreams[1]


def stored_text(gateway: GatewayProcess) -> str:
    """Everything the gateway's database holds, as one text."""
    with sqlite3.connect(gateway.db_path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [repr(row) for t in tables for row in db.execute(f'SELECT * FROM "{t}"')]
    return "\n".join(rows)


def wait_for_row(gateway: GatewayProcess, request_id: str) -> None:
    from tests.conftest import wait_for_ledger_row

    wait_for_ledger_row(gateway.db_path, request_id)


@pytest.mark.parametrize("door", list(DOORS))
@pytest.mark.parametrize("action", ["pseudonymize", "redact", "block", "route_local"])
def test_personal_data_in_every_field_never_leaves(
    gateway: GatewayProcess, fakes: tuple[FakeBehaviour, FakeBehaviour], door: str, action: str
) -> None:
    external, inhouse = fakes
    path, body, values = DOORS[door]
    response = httpx.post(f"{gateway.base_url}{path}", json=body(action), timeout=60)
    sent_out = "\n".join(r["body"] for r in external.requests)
    leaked = [v for v in values if v in sent_out]
    assert leaked == [], f"{door}/{action}: these values reached the external upstream"
    if action == "block":
        assert response.status_code == 400, response.text
        assert "pii_blocked" in error_code(door, response) or "personal data" in response.text
        assert external.requests == [] and inhouse.requests == []
    elif action == "route_local":
        assert response.status_code == 200, response.text
        assert response.headers["x-switchgear-target"] == "own@inhouse"
        assert external.requests == [] and inhouse.requests  # one request per prompt
    else:
        assert response.status_code == 200, response.text
        assert response.headers["x-switchgear-target"] == "ext@api"
        answer = response.text
        if action == "pseudonymize":
            # The fake echoes the question; the caller gets its own values back.
            assert ASKED_EMAIL in answer and ASKED_IBAN in answer
            assert "<EMAIL_" not in answer and "<IBAN_" not in answer
        else:
            # Redacted values stay redacted (a redacted stop sequence `[EMAIL]` may also end
            # the echo early, which is why the answer is not compared further).
            assert "[EMAIL]" in sent_out and "[IBAN]" in sent_out
            assert ASKED_EMAIL not in answer and ASKED_IBAN not in answer
    wait_for_row(gateway, response.headers["x-request-id"])
    stored = stored_text(gateway)
    assert [v for v in values if v in stored] == [], "the ledger holds a raw value"


@pytest.mark.parametrize("door", list(DOORS))
def test_pseudonyms_come_back_in_streamed_answers(
    gateway: GatewayProcess, fakes: tuple[FakeBehaviour, FakeBehaviour], door: str
) -> None:
    external, _ = fakes
    path, body, values = DOORS[door]
    request = {**body("pseudonymize"), "stream": True}
    with httpx.stream("POST", f"{gateway.base_url}{path}", json=request, timeout=60) as streamed:
        assert streamed.status_code == 200
        text = "".join(streamed.iter_text())
    assert ASKED_EMAIL in text and ASKED_IBAN in text and "<EMAIL_" not in text
    assert [v for v in values if v in external.requests[-1]["body"]] == []


def asking(door: str, text: str) -> dict[str, Any]:
    """The smallest request of each door for `text`, to the moderated route."""
    if door == "chat":
        return {"model": "moderated", "messages": [{"role": "user", "content": text}]}
    if door == "anthropic":
        return {
            "model": "moderated",
            "max_tokens": 20,
            "messages": [{"role": "user", "content": text}],
        }
    if door == "responses":
        return {"model": "moderated", "input": text, "store": False}
    return {"model": "moderated", "prompt": text}


@pytest.mark.parametrize("door", list(DOORS))
def test_moderation_blocks_on_every_door(
    gateway: GatewayProcess, fakes: tuple[FakeBehaviour, FakeBehaviour], door: str
) -> None:
    external, _ = fakes
    path = DOORS[door][0]
    unsafe = "I will kill you, you worthless idiot"
    response = httpx.post(f"{gateway.base_url}{path}", json=asking(door, unsafe), timeout=60)
    assert response.status_code == 400
    if door == "anthropic":
        error_code(door, response)
    else:
        assert error_code(door, response) == "content_flagged"
    assert external.requests == []
    harmless = asking(door, "What a lovely day")
    safe = httpx.post(f"{gateway.base_url}{path}", json=harmless, timeout=60)
    assert safe.status_code == 200 and len(external.requests) == 1


def test_the_same_user_is_the_same_stand_in_upstream(
    gateway: GatewayProcess, fakes: tuple[FakeBehaviour, FakeBehaviour]
) -> None:
    """`user` is sent as a keyed hash: abuse tracking upstream still sees one user."""
    external, _ = fakes
    for _ in range(2):
        httpx.post(
            f"{gateway.base_url}/v1/completions",
            json={"model": "pseudonymize", "prompt": "hello", "user": IN_USER},
            timeout=60,
        ).raise_for_status()
    sent = [r["json"]["user"] for r in external.requests]
    assert sent[0] == sent[1] and sent[0].startswith("u-") and IN_USER not in sent[0]


@pytest.mark.parametrize("action", ["pseudonymize", "redact", "block", "route_local"])
def test_personal_data_in_feed_events_never_leaves(
    gateway: GatewayProcess, fakes: tuple[FakeBehaviour, FakeBehaviour], action: str
) -> None:
    """The feed door (NDJSON in, server-sent events out): each commentary is a trip of its
    own, so an event's fields meet the same guards as a chat message."""
    from tests.feeds.feed_client import feed, lines_of

    external, inhouse = fakes
    event = {"id": "e1", "type": "complaint", "note": ASKED, "reporter": IN_USER}
    call = feed(gateway.base_url, action, lines_of(event))
    assert call.done, call.messages
    sent_out = "\n".join(r["body"] for r in external.requests)
    assert [v for v in (ASKED_EMAIL, ASKED_IBAN, IN_USER) if v in sent_out] == []
    if action == "block":
        refused = call.of_type("error")
        assert refused and refused[0]["error"]["code"] == "pii_blocked", call.messages
        assert external.requests == [] and inhouse.requests == []
    elif action == "route_local":
        assert external.requests == [] and len(inhouse.requests) == 1
    else:
        assert len(external.requests) == 1 and call.of_type("event_done")
        if action == "pseudonymize":  # the echo comes back with the caller's own values
            assert ASKED_EMAIL in call.text_of("e1") and "<EMAIL_" not in call.text_of("e1")
