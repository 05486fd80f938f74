"""The thinnest OpenAI pass-through, with a choice of HTTP server and upstream client, to pick
Switchgear's stack by measurement (driven by bench/gateway/stack.py).

Environment:
  STACK_UPSTREAM  base URL of the upstream (…/v1)
  STACK_CLIENT    none | httpx | httpx-stream | aiohttp | aiohttp-stream | raw
                  none: answer a fixed body without any upstream (the server's own cost);
                  *-stream: ask the upstream for SSE and read it incrementally, as Switchgear
                  does for every request; raw: a pooled keep-alive asyncio-streams client
  STACK_STARLETTE 1 to route through a Starlette app instead of a bare ASGI callable

Serve it with uvicorn (`python stack_proxy.py --http httptools|h11 --port P`) or with granian
(`granian --interface asgi stack_proxy:app`). It needs aiohttp, httpx, msgspec (and granian) in
its Python: bench/gateway/stack.py makes that venv. Loopback only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import msgspec

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

UPSTREAM = os.environ.get("STACK_UPSTREAM", "http://127.0.0.1:8301/v1").rstrip("/")
CLIENT = os.environ.get("STACK_CLIENT", "httpx")
_parts = urlsplit(UPSTREAM)
if not ipaddress.ip_address(_parts.hostname or "").is_loopback:
    raise SystemExit("loopback upstreams only")
URL = UPSTREAM + "/chat/completions"
FIXED = (
    b'{"id":"chatcmpl-fixed","object":"chat.completion","created":0,"model":"mock-model",'
    b'"choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the stack '
    b'bench."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":12,'
    b'"total_tokens":24}}'
)
JSON_HEADERS = [(b"content-type", b"application/json")]
SSE_HEADERS = [(b"content-type", b"text/event-stream")]


class RawPool:
    """Keep-alive HTTP/1.1 connections to one upstream; content-length responses only (the
    shared mock sends those, SSE included)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.path = _parts.path.rstrip("/") + "/chat/completions"

    async def post(self, body: bytes) -> tuple[int, bytes]:
        if self.idle:
            reader, writer = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.write(
            (
                f"POST {self.path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\n"
                f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        data = await reader.readexactly(length)
        self.idle.append((reader, writer))
        return status, data


class Upstream:
    def __init__(self) -> None:
        self.httpx: Any = None
        self.aiohttp: Any = None
        self.raw: RawPool | None = None

    def open(self) -> None:
        if CLIENT.startswith("httpx"):
            import httpx

            limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
            self.httpx = httpx.AsyncClient(limits=limits, timeout=60.0)
        elif CLIENT.startswith("aiohttp"):
            import aiohttp

            connector = aiohttp.TCPConnector(limit=256, keepalive_timeout=30)
            self.aiohttp = aiohttp.ClientSession(connector=connector)
        elif CLIENT == "raw":
            self.raw = RawPool(_parts.hostname or "127.0.0.1", _parts.port or 80)

    async def call(self, body: bytes, send: Send, stream: bool) -> None:
        headers = SSE_HEADERS if stream else JSON_HEADERS
        if CLIENT == "none":
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": FIXED})
            return
        if CLIENT == "raw":
            assert self.raw is not None
            status, data = await self.raw.post(body)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": data})
            return
        if CLIENT == "httpx":
            r = await self.httpx.post(URL, content=body)
            await send({"type": "http.response.start", "status": r.status_code, "headers": headers})
            await send({"type": "http.response.body", "body": r.content})
            return
        if CLIENT == "httpx-stream":
            async with self.httpx.stream("POST", URL, content=body) as r:
                start = {"type": "http.response.start", "status": r.status_code, "headers": headers}
                await send(start)
                async for chunk in r.aiter_bytes():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        if CLIENT == "aiohttp":
            async with self.aiohttp.post(URL, data=body) as r:
                data = await r.read()
                status = r.status
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": data})
            return
        if CLIENT == "aiohttp-stream":
            async with self.aiohttp.post(URL, data=body) as r:
                await send({"type": "http.response.start", "status": r.status, "headers": headers})
                async for chunk in r.content.iter_any():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        raise SystemExit(f"unknown STACK_CLIENT {CLIENT!r}")


UP = Upstream()
_decode = msgspec.json.decode
_encode = msgspec.json.encode


async def handle(receive: Receive, send: Send) -> None:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    request = _decode(b"".join(chunks))  # every gateway parses the request once
    request["model"] = "mock-model"
    client_stream = bool(request.get("stream"))
    if CLIENT.endswith("-stream"):
        request["stream"] = True  # as Switchgear asks upstreams, whatever the client asked
    await UP.call(_encode(request), send, client_stream)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                UP.open()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["method"] == "GET":
        await send({"type": "http.response.start", "status": 200, "headers": JSON_HEADERS})
        await send({"type": "http.response.body", "body": b'{"status":"ok"}'})
        return
    await handle(receive, send)


def _starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def chat(request: Request) -> Response:
        class Direct(Response):
            async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
                await handle(receive, send)

        return Direct()

    async def health(_request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    async def lifespan(_app: Any) -> Any:
        UP.open()
        yield

    import contextlib

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/health", health),
        ],
        lifespan=contextlib.asynccontextmanager(lifespan),
    )


if os.environ.get("STACK_STARLETTE") == "1":
    app = _starlette_app()  # type: ignore[assignment]


def main() -> None:
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--http", default="httptools", choices=["httptools", "h11"])
    args = parser.parse_args()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http=args.http,
        access_log=False,
        log_level="warning",
        lifespan="on",
    )


if __name__ == "__main__":
    main()
