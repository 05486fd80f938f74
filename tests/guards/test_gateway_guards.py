"""Guards through a real gateway: a recording upstream proves what leaves, the client proves
what comes back, the ledger proves what was decided (without the values).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openai import OpenAI

from tests.conftest import wait_for_ledger_row
from tests.fakes.behaviour import FakeBehaviour
from tests.gateway_process import GatewayProcess
from tests.guards.conftest import guarded_gateway

EMAIL = "jane.doe@example.com"
IBAN = "DE89370400440532013000"
SECRET_TEXT = f"Please write to {EMAIL} about account {IBAN}."

CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{upstream}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: smol, aliases: [default]}}
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini,
      aliases: [gpt-pseudo, gpt-redact, gpt-block, gpt-local, gpt-moderated]}}
routes:
  private-chat: {{targets: [gpt-fake, smol]}}
guards:
  routes: {{gpt-pseudo: pseudo, gpt-redact: redact, gpt-block: block, gpt-local: local,
           private-chat: local, gpt-moderated: moderated}}
  policies:
    off: {{}}
    pseudo: {{pii: {{action: pseudonymize, use_model: false}}}}
    redact: {{pii: {{action: redact, use_model: false}}}}
    block: {{pii: {{action: block, use_model: false}}}}
    local: {{pii: {{action: route_local, use_model: false}}}}
    moderated:
      moderation: {{backend: local, action: block, input: true}}
"""


@pytest.fixture(scope="module")
def gateway(
    upstream: tuple[str, FakeBehaviour], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    with guarded_gateway(
        tmp_path_factory, "guarded", CONFIG.format(upstream=upstream[0])
    ) as process:
        yield process


def client(gateway: GatewayProcess) -> OpenAI:
    return OpenAI(base_url=f"{gateway.base_url}/v1", api_key="unused", max_retries=0)


def ask(gateway: GatewayProcess, model: str, text: str = SECRET_TEXT, **extra: Any) -> Any:
    return client(gateway).chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": text}], **extra
    )


def test_pseudonymised_values_never_leave_and_come_back_to_the_client(
    gateway: GatewayProcess, sent: list[Any]
) -> None:
    raw = ask(gateway, "gpt-pseudo")
    answer = raw.parse().choices[0].message.content
    upstream_body = sent[-1]["body"]
    assert EMAIL not in upstream_body and IBAN not in upstream_body
    assert "<EMAIL_1>" in upstream_body
    # The fake echoes what it received; the gateway puts the real values back.
    assert EMAIL in answer and IBAN in answer
    assert "<EMAIL_1>" not in answer
    row = wait_for_ledger_row(gateway.db_path, raw.headers["x-request-id"])
    decisions = json.loads(row["guard"])
    assert decisions[0]["action"] == "pseudonymize"
    assert decisions[0]["entities"]["EMAIL"] == 1
    assert EMAIL not in row["guard"] and IBAN not in row["guard"]


def test_pseudonyms_are_restored_in_streamed_answers(
    gateway: GatewayProcess, sent: list[Any]
) -> None:
    stream = client(gateway).chat.completions.create(
        model="gpt-pseudo", messages=[{"role": "user", "content": SECRET_TEXT}], stream=True
    )
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert EMAIL in "".join(pieces) and IBAN in "".join(pieces)
    assert not any("<EMAIL" in p for p in pieces)
    assert EMAIL not in sent[-1]["body"]


def test_redaction_replaces_values_with_their_type(
    gateway: GatewayProcess, sent: list[Any]
) -> None:
    answer = ask(gateway, "gpt-redact").parse().choices[0].message.content
    assert EMAIL not in sent[-1]["body"] and "[EMAIL]" in sent[-1]["body"]
    assert "[EMAIL]" in answer and EMAIL not in answer


def test_block_names_the_types_but_never_the_values(
    gateway: GatewayProcess, sent: list[Any]
) -> None:
    response = httpx.post(
        f"{gateway.base_url}/v1/chat/completions",
        json={"model": "gpt-block", "messages": [{"role": "user", "content": SECRET_TEXT}]},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "pii_blocked"
    assert "EMAIL" in error["message"] and "IBAN" in error["message"]
    assert EMAIL not in response.text and IBAN not in response.text
    assert sent == []
    row = wait_for_ledger_row(gateway.db_path, response.headers["x-request-id"])
    assert row["status"] == "error" and "block" in row["guard"] and EMAIL not in row["guard"]


def test_route_local_keeps_personal_data_on_self_hosted_models(
    gateway: GatewayProcess, sent: list[Any]
) -> None:
    raw = ask(gateway, "private-chat", max_tokens=4)
    assert raw.headers["x-switchgear-target"] == "smol@local"
    assert sent == [], "the external target was never called"
    without_pii = ask(gateway, "private-chat", text="What is the capital of France?")
    assert without_pii.headers["x-switchgear-target"] == "gpt-fake@api"
    external_only = httpx.post(
        f"{gateway.base_url}/v1/chat/completions",
        json={"model": "gpt-local", "messages": [{"role": "user", "content": SECRET_TEXT}]},
    )
    assert external_only.status_code == 403
    assert external_only.json()["error"]["code"] == "self_hosted_required"
    assert len(sent) == 1  # only the request without personal data


def test_unsafe_input_is_blocked_by_the_moderation_policy(
    gateway: GatewayProcess, sent: list[Any]
) -> None:
    response = httpx.post(
        f"{gateway.base_url}/v1/chat/completions",
        json={
            "model": "gpt-moderated",
            "messages": [{"role": "user", "content": "I will kill you, you worthless idiot"}],
        },
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "content_flagged"
    assert sent == []


def test_moderations_endpoint_speaks_openais_shape(gateway: GatewayProcess) -> None:
    result = client(gateway).moderations.create(
        input=["I will kill you, you worthless idiot", "What a lovely day"]
    )
    assert len(result.results) == 2
    assert result.results[0].flagged is True
    assert result.results[1].flagged is False
    scores = result.results[0].category_scores.model_dump(by_alias=True)
    assert {"harassment", "violence", "sexual/minors", "self-harm"} <= set(scores)
    # The ledger names the backend that answered a request naming no model.
    raw = client(gateway).moderations.with_raw_response.create(input="What a lovely day")
    row = wait_for_ledger_row(gateway.db_path, raw.headers["x-request-id"])
    assert row["endpoint"] == "moderations" and row["model"] == raw.parse().model != ""
