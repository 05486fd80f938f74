"""The whole trip in-process, with a `MockProvider` in place of the upstream (no server, no
model): what the provider is sent, and what the caller gets back, per stage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from switchgear.config import Config
from switchgear.gateway import Gateway
from switchgear.providers.base import Generation
from switchgear.providers.mock import MockProvider, reply
from switchgear.schema.generation import Delta, ToolCallDelta, Usage
from switchgear.schema.requests import ChatCompletionRequest
from switchgear.trip import Answer

EMAIL = "jane.doe@example.com"
STRANGER = "someone.else@example.org"


def config(tmp_path: Path, policy: dict[str, Any]) -> Config:
    return msgspec.convert(
        {
            "data_dir": str(tmp_path),
            "providers": {"api": {"kind": "openai_compat", "base_url": "http://mock.invalid"}},
            "models": [{"id": "ext", "provider": "api"}],
            "guards": {"default": "p", "policies": {"off": {}, "p": policy}},
        },
        Config,
    )


def chat(text: str, **extra: Any) -> ChatCompletionRequest:
    body = {"model": "ext", "messages": [{"role": "user", "content": text}], **extra}
    return msgspec.convert(body, ChatCompletionRequest)


def run_with(
    tmp_path: Path,
    policy: dict[str, Any],
    handler: Callable[[str, Generation], Any],
    work: Callable[[Gateway, MockProvider], Awaitable[Any]],
) -> Any:
    mock = MockProvider(handler)

    async def main() -> Any:
        gateway = Gateway(config(tmp_path, policy), providers={"api": mock})
        await gateway.start()
        try:
            return await work(gateway, mock)
        finally:
            await gateway.stop()

    return asyncio.run(main())


async def collect(answer: Answer) -> tuple[str, list[ToolCallDelta], str | None]:
    text, calls, finish = [], [], None
    async for delta in answer.deltas():
        text.append(delta.text)
        calls.extend(delta.tool_calls)
        finish = delta.finish_reason or finish
    return "".join(text), calls, finish


def sent_text(mock: MockProvider) -> str:
    return "\n".join(msgspec.json.encode(request).decode() for _, request in mock.requests)


def test_pseudonyms_are_restored_inside_tool_call_arguments(tmp_path: Path) -> None:
    def handler(model: str, request: Generation) -> list[Delta]:
        assert isinstance(request, ChatCompletionRequest)
        placeholder = request.messages[0].text().split()[-1]  # "<EMAIL_1>"
        # The arguments arrive in fragments that split the placeholder, as upstreams send them.
        arguments = f'{{"to": "{placeholder}"}}'
        cut = arguments.index("EMAIL")
        return [
            Delta(tool_calls=(ToolCallDelta(0, "call_1", "send_mail", arguments[:cut]),)),
            Delta(tool_calls=(ToolCallDelta(0, None, None, arguments[cut:]),)),
            Delta(finish_reason="tool_calls", usage=Usage(5, 5)),
        ]

    async def work(gateway: Gateway, mock: MockProvider) -> Any:
        answer = await gateway.pipeline.run(chat(f"Send the report to {EMAIL}"))
        return await collect(answer), sent_text(mock)

    (_, calls, finish), sent = run_with(
        tmp_path, {"pii": {"action": "pseudonymize", "use_model": False}}, handler, work
    )
    assert EMAIL not in sent and "<EMAIL_1>" in sent
    assert "".join(c.arguments for c in calls) == f'{{"to": "{EMAIL}"}}'
    assert finish == "tool_calls"


@pytest.mark.parametrize(("mode", "expected"), [("redact", "[EMAIL]"), ("block", None)])
def test_the_answer_side_scan_catches_data_the_prompt_never_had(
    tmp_path: Path, mode: str, expected: str | None
) -> None:
    def handler(model: str, request: Generation) -> list[Delta]:
        # Echoes the caller's own value (a pseudonym, restored) and adds a stranger's.
        placeholder = request.messages[0].text().split()[-1]  # type: ignore[union-attr]
        return reply(f"I wrote to {placeholder} and copied {STRANGER} on it.")

    async def work(gateway: Gateway, mock: MockProvider) -> Any:
        return await collect(await gateway.pipeline.run(chat(f"Mail {EMAIL}")))

    policy = {"pii": {"action": "pseudonymize", "use_model": False, "output": mode}}
    text, _, finish = run_with(tmp_path, policy, handler, work)
    assert STRANGER not in text
    if expected is None:
        assert finish == "content_filter"
    else:
        assert f"I wrote to {EMAIL} and copied [EMAIL] on it." == text
        assert finish == "stop"


def test_a_caller_that_stops_reading_closes_the_provider_stream(tmp_path: Path) -> None:
    closed = asyncio.Event()

    async def endless(model: str, request: Generation) -> AsyncIterator[Delta]:
        try:
            while True:
                yield Delta(text="tick ")
                await asyncio.sleep(0)
        finally:
            closed.set()

    async def work(gateway: Gateway, mock: MockProvider) -> Any:
        answer = await gateway.pipeline.run(chat("count", stream=True))
        stream = answer.deltas()
        async for _ in stream:
            break
        await stream.aclose()  # what the HTTP edge does when the client goes away
        await asyncio.wait_for(closed.wait(), 5)
        await answer.recorded()
        return gateway.store.read_usage(1)[0]

    row = run_with(tmp_path, {}, endless, work)
    assert closed.is_set()
    assert row.status == "cancelled" and row.http_status == 499
