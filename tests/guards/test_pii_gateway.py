"""Values the detector used to miss, through a real gateway: a recording upstream proves they
never leave, the client proves they come back exactly as written (zero-width space included)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openai import OpenAI

from tests.fakes.behaviour import FakeBehaviour
from tests.gateway_process import GatewayProcess
from tests.guards.conftest import guarded_gateway

HIDDEN_EMAIL = "jo\u200bhn.smith@example.com"
ITALIAN_MOBILE = "3772595717"
ITIN = "912-78-1234"
ARABIC_NAME = "أحمد الخطيب"
PROMPT = (
    f"Scrivi a {HIDDEN_EMAIL}; cellulare {ITALIAN_MOBILE}. SSN {ITIN}. "
    f"اسمي {ARABIC_NAME} وأعمل في دبي"
)

CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{upstream}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: smol, aliases: [default]}}
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini, aliases: [gpt-pseudo]}}
routes:
  private-chat: {{targets: [gpt-fake, smol]}}
guards:
  routes: {{gpt-pseudo: pseudo, private-chat: local}}
  policies:
    off: {{}}
    pseudo: {{pii: {{action: pseudonymize}}}}
    local: {{pii: {{action: route_local}}}}
"""


@pytest.fixture(scope="module")
def gateway(
    upstream: tuple[str, FakeBehaviour], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    with guarded_gateway(
        tmp_path_factory, "pii-independent", CONFIG.format(upstream=upstream[0])
    ) as process:
        yield process


def ask(gateway: GatewayProcess, model: str, text: str, **extra: Any) -> Any:
    client = OpenAI(base_url=f"{gateway.base_url}/v1", api_key="unused", max_retries=0)
    return client.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": text}], **extra
    )


def test_hidden_and_national_values_never_reach_the_upstream(
    gateway: GatewayProcess, sent: list[Any]
) -> None:
    answer = ask(gateway, "gpt-pseudo", PROMPT).parse().choices[0].message.content
    upstream_body = sent[-1]["body"]
    for value in ("hn.smith@example.com", ITALIAN_MOBILE, ITIN, "أحمد", "الخطيب"):
        assert value not in upstream_body
    # The fake echoes what it received; the gateway puts each value back as it was written.
    for value in (HIDDEN_EMAIL, ITALIAN_MOBILE, ITIN, ARABIC_NAME):
        assert value in answer


def test_a_name_in_arabic_script_keeps_the_request_on_the_local_model(
    gateway: GatewayProcess, sent: list[Any]
) -> None:
    raw = ask(gateway, "private-chat", f"اسمي {ARABIC_NAME} وأعمل في دبي", max_tokens=4)
    assert raw.headers["x-switchgear-target"] == "smol@local"
    assert sent == [], "the external target was never called"
