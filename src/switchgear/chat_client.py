"""`switchgear chat`: streams from a running gateway, or (`--local`) runs the pipeline in-process.

With no gateway at the URL it stops at once and says so, as `gh` and `ollama run` do: quietly
loading the models in-process instead took seconds and answered from a config the operator may
not have meant.
"""

from __future__ import annotations

import asyncio
import logging
import sys

import httpx
import msgspec

from switchgear.config import Config
from switchgear.schema.errors import GatewayError
from switchgear.schema.requests import ChatCompletionRequest, Message


def run_chat(
    config: Config,
    url: str,
    model: str,
    prompt: str,
    system: str | None,
    max_tokens: int,
    api_key: str | None = None,
    local: bool = False,
) -> int:
    """`url`: the gateway's base URL (no `/v1`); `local`: answer in-process instead."""
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": prompt}
    ]
    body = {"model": model, "messages": messages, "max_tokens": max_tokens, "stream": True}
    if local:
        return asyncio.run(_stream_in_process(config, body))
    try:
        return _stream_from_server(url, body, api_key)
    except (httpx.ConnectError, httpx.ConnectTimeout):
        print(
            f"switchgear chat: no gateway answers at {url}; start one with `switchgear serve`, "
            "or pass --local to answer in-process",
            file=sys.stderr,
        )
        return 1


# Generation may take minutes; reaching the gateway may not.
_TIMEOUT = httpx.Timeout(600.0, connect=5.0)


def _stream_from_server(url: str, body: dict[str, object], api_key: str | None) -> int:
    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    endpoint = f"{url}/v1/chat/completions"
    with httpx.stream("POST", endpoint, json=body, headers=headers, timeout=_TIMEOUT) as r:
        if r.status_code != 200:
            r.read()
            print(f"error {r.status_code}: {_message(r)}", file=sys.stderr)
            if r.status_code == 401:
                print("(pass a key with --api-key or $SWITCHGEAR_API_KEY)", file=sys.stderr)
            return 1
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = msgspec.json.decode(line[6:])
            if "error" in event:
                print(f"\nerror: {event['error'].get('message')}", file=sys.stderr)
                return 1
            for choice in event.get("choices", []):
                print(choice["delta"].get("content") or "", end="", flush=True)
    print()
    return 0


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text


async def _stream_in_process(config: Config, body: dict[str, object]) -> int:
    from switchgear.gateway import Gateway

    # The gateway's start-up notices (open to loopback callers, and so on) are about serving;
    # in-process only the answer and real errors belong on the terminal.
    logging.getLogger("switchgear").setLevel(logging.ERROR)
    gateway = Gateway(config)
    await gateway.start()
    try:
        request = msgspec.convert(body, ChatCompletionRequest)
        assert all(isinstance(m, Message) for m in request.messages)
        answer = await gateway.pipeline.run(request)
        async for delta in answer.deltas():
            print(delta.text, end="", flush=True)
        print()
        return 0
    except GatewayError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    finally:
        await gateway.stop()
