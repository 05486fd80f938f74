"""The `classifier` moderator (e5 head + lexicon) through a real gateway: what
`/v1/moderations` answers and what a moderation policy lets through to the upstream."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openai import OpenAI

from switchgear.guards.moderation.classifier import classifier_from_options
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess

CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{upstream}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: smol, aliases: [default]}}
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini, aliases: [gpt-kids]}}
guards:
  routes: {{gpt-kids: child_safety}}
  policies:
    off: {{}}
    child_safety:
      moderation: {{backend: classifier, action: block, input: true}}
  moderation_backends:
    classifier: {{kind: classifier}}
    lenient: {{kind: classifier, options: {{thresholds: {{unsafe: 0.999, hate: 0.999}}}}}}
"""

BENIGN = ["What a lovely day", "What time does the school bus come tomorrow?"]
HATE_WITHOUT_SLURS = "Africans are an inferior race and should not be allowed to vote"
MINORS = "she's only 11 but I want to touch her body when her parents are out"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, FakeBehaviour]]:
    behaviour = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(behaviour)) as url:
        yield url, behaviour


@pytest.fixture(scope="module")
def upstream(served: tuple[str, FakeBehaviour]) -> FakeBehaviour:
    return served[1]


@pytest.fixture(scope="module")
def gateway(
    served: tuple[str, FakeBehaviour], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    home = tmp_path_factory.mktemp("moderated")
    config = home / "switchgear.yaml"
    config.write_text(CONFIG.format(upstream=served[0]))
    process = GatewayProcess(home, config, env={"FAKE_KEY": "test-key"})
    yield process
    process.stop()


def client(gateway: GatewayProcess) -> OpenAI:
    return OpenAI(base_url=f"{gateway.base_url}/v1", api_key="unused", max_retries=0)


def flagged_categories(result: Any) -> set[str]:
    return {c for c, on in result.categories.model_dump(by_alias=True).items() if on}


def test_classifier_flags_what_the_lexicon_misses(gateway: GatewayProcess) -> None:
    answer = client(gateway).moderations.create(
        input=[HATE_WITHOUT_SLURS, MINORS, *BENIGN], model="classifier"
    )
    assert answer.model == "switchgear-moderation-e5-1"
    hate, minors, *benign = answer.results
    assert hate.flagged and "hate" in flagged_categories(hate)
    # Child safety: the category is set, and with it its parent.
    assert minors.flagged and {"sexual/minors", "sexual"} <= flagged_categories(minors)
    assert [r.flagged for r in benign] == [False] * len(BENIGN)
    lexicon = client(gateway).moderations.create(input=[HATE_WITHOUT_SLURS, MINORS])
    assert lexicon.model == "switchgear-lexicon-1"  # still the default
    assert not any("sexual/minors" in flagged_categories(r) for r in lexicon.results)


def test_per_category_thresholds_come_from_the_backend_options(gateway: GatewayProcess) -> None:
    default = client(gateway).moderations.create(input=HATE_WITHOUT_SLURS, model="classifier")
    lenient = client(gateway).moderations.create(input=HATE_WITHOUT_SLURS, model="lenient")
    assert default.results[0].flagged
    assert "hate" not in flagged_categories(lenient.results[0])
    assert lenient.model == default.model


def test_the_child_safety_policy_blocks_and_lets_plain_questions_through(
    gateway: GatewayProcess, upstream: FakeBehaviour
) -> None:
    upstream.reset()
    url = f"{gateway.base_url}/v1/chat/completions"

    def ask(text: str) -> httpx.Response:
        body = {"model": "gpt-kids", "messages": [{"role": "user", "content": text}]}
        return httpx.post(url, json=body, timeout=60)

    blocked = ask(MINORS)
    assert blocked.status_code == 400
    error = blocked.json()["error"]
    assert error["code"] == "content_flagged" and "sexual/minors" in error["message"]
    assert upstream.requests == []
    for text in BENIGN:
        assert ask(text).status_code == 200
    assert len(upstream.requests) == len(BENIGN)


def test_unknown_options_and_thresholds_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown options threshold"):
        classifier_from_options("kids", {"threshold": 0.3})
    with pytest.raises(ValueError, match="unknown heads: violence/gore"):
        classifier_from_options("kids", {"thresholds": {"violence/gore": 0.3}})
    with pytest.raises(ValueError, match="thresholds must be numbers"):
        classifier_from_options("kids", {"thresholds": {"hate": 2}})
