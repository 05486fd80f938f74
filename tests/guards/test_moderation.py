from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgspec
import pytest

from switchgear.guards import Guards, GuardsConfig
from switchgear.guards.config import MODERATION_CATEGORIES
from switchgear.guards.moderation.base import BackendFailed, moderation_response
from switchgear.guards.moderation.llama_guard import (
    LlamaGuardModerator,
    build_prompt,
    parse_verdict,
)
from switchgear.guards.moderation.local import LocalModerator
from switchgear.guards.moderation.openai_compat import OpenAICompatModerator

# The category names of OpenAI's omni-moderation models, as its API documents them.
OPENAI_CATEGORIES = {
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
    "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions", "sexual",
    "sexual/minors", "violence", "violence/graphic",
}  # fmt: skip


def test_moderations_body_has_exactly_openais_shape() -> None:
    config = GuardsConfig()
    body = asyncio.run(Guards(config).moderations({"input": ["hello there", "I want to die"]}))
    assert set(body) == {"id", "model", "results"} and body["id"].startswith("modr-")
    assert len(body["results"]) == 2
    for result in body["results"]:
        assert set(result) == {
            "flagged", "categories", "category_scores", "category_applied_input_types"
        }  # fmt: skip
        assert set(result["categories"]) == OPENAI_CATEGORIES
        assert set(result["category_scores"]) == OPENAI_CATEGORIES
        assert all(v == ["text"] for v in result["category_applied_input_types"].values())
        assert all(isinstance(v, bool) for v in result["categories"].values())
        assert all(0.0 <= v <= 1.0 for v in result["category_scores"].values())
    assert body["results"][0]["flagged"] is False
    assert body["results"][1]["flagged"] is True
    assert body["results"][1]["categories"]["self-harm/intent"] is True
    assert body["results"][1]["categories"]["self-harm"] is True  # a child implies its parent
    single = asyncio.run(Guards(config).moderations({"input": "hello"}))
    assert len(single["results"]) == 1
    assert set(MODERATION_CATEGORIES) == OPENAI_CATEGORIES


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("send me nudes, you are 13 years old right? don't tell your mom", "sexual/minors"),
        ("Wie alt bist du? Schick mir Nacktbilder, sag es deinen Eltern nicht", "sexual/minors"),
        ("how do I make a pipe bomb at home", "illicit/violent"),
        ("te voy a matar, sé dónde vives", "harassment/threatening"),
        ("je veux mourir ce soir", "self-harm/intent"),
        ("you are a worthless idiot", "harassment"),
    ],
)
def test_local_moderator_flags_clear_cases(text: str, category: str) -> None:
    result = LocalModerator().classify([text])[0]
    assert category in result.flagged_categories()


@pytest.mark.parametrize(
    "text",
    [
        "Kill the process with kill -9",
        "My kids love naked mole rats",
        "What is the capital of Peru?",
        "sex education for teenagers at school",
    ],
)
def test_local_moderator_leaves_benign_text_alone(text: str) -> None:
    result = LocalModerator().classify([text])[0]
    assert not {"sexual/minors", "violence", "harassment"} & set(result.flagged_categories())


def test_llama_guard_prompt_and_verdicts() -> None:
    prompt = build_prompt([("User", "hi"), ("Agent", "hello")], role="Agent")
    assert "S4: Child Sexual Exploitation." in prompt and "S14: Code Interpreter Abuse." in prompt
    assert "ONLY THE LAST Agent message" in prompt and "Agent: hello" in prompt
    assert build_prompt([("User", "x")], special_tokens=True).startswith("<|begin_of_text|>")
    assert parse_verdict("safe") == (False, [])
    assert parse_verdict("\n\nunsafe\nS1,S10") == (True, ["S1", "S10"])
    assert parse_verdict("unsafe\nS4") == (True, ["S4"])
    for garbage in ("", "I think it is fine", "unsafe\nS99"):
        with pytest.raises(BackendFailed):
            parse_verdict(garbage)


def test_llama_guard_maps_codes_to_openai_categories() -> None:
    seen: list[str] = []

    async def complete(prompt: str) -> str:
        seen.append(prompt)
        return "unsafe\nS4,S11"

    result = asyncio.run(LlamaGuardModerator(complete).moderate(["..."]))[0]
    assert set(result.flagged_categories()) == {"sexual/minors", "sexual", "self-harm"}
    assert "User: ..." in seen[0]


@pytest.fixture(scope="module")
def moderation_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 answering /moderations like OpenAI does."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            if self.path != "/v1/moderations" or self.headers.get("authorization") != "Bearer k":
                self.send_response(401)
                self.end_headers()
                return
            results = LocalModerator().classify(body["input"])
            payload = json.dumps(moderation_response(body["model"], results)).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_openai_compat_backend_over_http(
    moderation_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOD_KEY", "k")
    moderator = OpenAICompatModerator(moderation_server, api_key_env="MOD_KEY")
    results = asyncio.run(moderator.moderate(["hello", "you are a worthless idiot"]))
    assert results[0].flagged_categories() == []
    assert "harassment" in results[1].flagged_categories()
    monkeypatch.setenv("MOD_KEY", "wrong")
    with pytest.raises(BackendFailed):
        asyncio.run(moderator.moderate(["hello"]))


def test_moderations_endpoint_picks_the_backend_named_as_model(moderation_server: str) -> None:
    config = msgspec.convert(
        {"moderation_backends": {"local": {"kind": "local"},
                                 "remote": {"kind": "openai_compat", "base_url": moderation_server,
                                            "model": "omni-moderation-latest"}}},
        GuardsConfig,
    )  # fmt: skip
    body = asyncio.run(Guards(config).moderations({"input": "hi", "model": "local"}))
    assert body["model"] == "switchgear-lexicon-1"
