from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake

ADMIN = "admin-secret-for-tests"


@pytest.fixture(scope="module")
def upstream_url() -> Iterator[str]:
    """A cheap OpenAI-compatible upstream, so limit tests measure the gateway, not a model."""
    with run_fake(create_openai_fake(FakeBehaviour(api_key="test-key"))) as url:
        yield url


def gateway_config(upstream_url: str, extra: str = "") -> str:
    return f"""
providers:
  api: {{kind: openai_compat, base_url: "{upstream_url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: smollm2-135m-instruct, aliases: [default]}}
  - id: gpt-fake
    provider: api
    upstream_model: gpt-4o-mini
    input_price_per_mtok: 1000000
    output_price_per_mtok: 1000000
    licence: proprietary
    region: us
  - id: llama-fake
    provider: api
    upstream_model: gpt-4o
    licence: Llama-3.1-Community
    licence_terms: ["700M monthly-active-user threshold", "Acceptable Use Policy"]
    region: eu
governance:
  reference_model: gpt-fake
{extra}
"""


ENV = {"SWITCHGEAR_ADMIN_KEY": ADMIN, "FAKE_KEY": "test-key"}
