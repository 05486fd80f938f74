"""Fake upstreams on loopback, shared by a module's tests; each test starts from a healthy one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from switchgear.config import ProviderConfig
from switchgear.providers.anthropic import AnthropicProvider
from switchgear.providers.openai_compat import OpenAICompatProvider
from switchgear.schema.generation import Delta
from switchgear.schema.requests import ChatCompletionRequest, CompletionRequest
from tests.fakes.anthropic_server import create_anthropic_fake
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake

KEY = "test-key"
KEY_ENV = "SWITCHGEAR_TEST_UPSTREAM_KEY"

Provider = OpenAICompatProvider | AnthropicProvider


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


@pytest.fixture(scope="module")
def behaviour() -> FakeBehaviour:
    return FakeBehaviour(api_key=KEY)


@pytest.fixture(autouse=True)
def _healthy(behaviour: FakeBehaviour) -> None:
    behaviour.reset()
    behaviour.hang_seconds = 30.0
    behaviour.retry_after = 1
    behaviour.chunk_delay = 0.0  # reset() leaves it as the last test set it


@pytest.fixture(scope="module")
def openai_root(behaviour: FakeBehaviour) -> Iterator[str]:
    with run_fake(create_openai_fake(behaviour)) as url:
        yield url


@pytest.fixture(scope="module")
def anthropic_root(behaviour: FakeBehaviour) -> Iterator[str]:
    with run_fake(create_anthropic_fake(behaviour)) as url:
        yield url


def settings(kind: str, base_url: str, **overrides: Any) -> ProviderConfig:
    fields: dict[str, Any] = {"kind": kind, "base_url": base_url, "api_key_env": KEY_ENV}
    fields.update(overrides)
    return msgspec.convert(fields, ProviderConfig)


def chat(**fields: Any) -> ChatCompletionRequest:
    fields.setdefault("model", "client-model")
    return msgspec.convert(fields, ChatCompletionRequest)


def text(**fields: Any) -> CompletionRequest:
    fields.setdefault("model", "client-model")
    return msgspec.convert(fields, CompletionRequest)


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


async def _collect(provider: Provider, model: str, request: Any, index: int) -> list[Delta]:
    await provider.start()
    try:
        if isinstance(request, CompletionRequest):
            stream = provider.stream_text(model, request, request.prompt, index)
        else:
            stream = provider.stream_chat(model, request)
        return [delta async for delta in stream]
    finally:
        await provider.aclose()


def collect(provider: Provider, model: str, request: Any, index: int = 0) -> list[Delta]:
    """Every delta of one answer, each test on its own event loop."""
    return asyncio.run(_collect(provider, model, request, index))


async def _partial(provider: Provider, model: str, request: ChatCompletionRequest) -> list[Any]:
    """The deltas, then the exception that ended the stream (None when it ended well)."""
    await provider.start()
    got: list[Any] = []
    try:
        async for delta in provider.stream_chat(model, request):
            got.append(delta)
    except Exception as error:
        got.append(error)
    else:
        got.append(None)
    finally:
        await provider.aclose()
    return got


def partial(provider: Provider, model: str, request: ChatCompletionRequest) -> list[Any]:
    return asyncio.run(_partial(provider, model, request))


async def _first(provider: Provider, model: str, request: ChatCompletionRequest) -> Delta:
    """Only the first delta, as the pipeline awaits it before answering the client."""
    await provider.start()
    stream = provider.stream_chat(model, request)
    try:
        return await anext(stream)
    finally:
        await getattr(stream, "aclose")()  # noqa: B009 - the protocol types it as an iterator
        await provider.aclose()


def first(provider: Provider, model: str, request: ChatCompletionRequest) -> Delta:
    return asyncio.run(_first(provider, model, request))


def joined(deltas: list[Delta]) -> str:
    return "".join(d.text for d in deltas)


def arguments(deltas: list[Delta], index: int = 0) -> str:
    return "".join(c.arguments for d in deltas for c in d.tool_calls if c.index == index)


@dataclass
class Scripted:
    """An upstream that answers every request with a fixed status, headers and body pieces."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    pieces: list[bytes] = field(default_factory=list)
    requests: list[Any] = field(default_factory=list)

    def sse(self, *frames: str) -> None:
        self.status, self.headers = 200, {"content-type": "text/event-stream"}
        self.pieces = [frame.encode() for frame in frames]

    def json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.status, self.headers = status, {"content-type": "application/json", **(headers or {})}
        self.pieces = [msgspec.json.encode(payload)]


@pytest.fixture(scope="module")
def scripted_state() -> Scripted:
    return Scripted()


@pytest.fixture(scope="module")
def scripted_root(scripted_state: Scripted) -> Iterator[str]:
    async def answer(request: Request) -> Response:
        scripted_state.requests.append(msgspec.json.decode(await request.body()))
        pieces = list(scripted_state.pieces)

        async def body() -> AsyncIterator[bytes]:
            for piece in pieces:
                yield piece

        return StreamingResponse(body(), scripted_state.status, scripted_state.headers)

    app = Starlette(routes=[Route("/{path:path}", answer, methods=["POST"])])
    with run_fake(app) as url:
        yield url


@pytest.fixture()
def scripted(scripted_state: Scripted) -> Scripted:
    scripted_state.status, scripted_state.headers, scripted_state.pieces = 200, {}, []
    scripted_state.requests.clear()
    return scripted_state
