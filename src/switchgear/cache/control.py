"""The client's `Cache-Control` request header, as the cache stage reads it: `no-cache` (do not
answer from the cache), `no-store` (do not keep this answer), `max-age=N` (only entries younger
than N seconds). Read once per HTTP request by `CacheControlMiddleware`."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass(frozen=True, slots=True)
class CacheControl:
    no_cache: bool = False
    no_store: bool = False
    max_age: float | None = None


DEFAULT = CacheControl()
CACHE_CONTROL: ContextVar[CacheControl] = ContextVar("cache_control", default=DEFAULT)


def parse(header: str) -> CacheControl:
    no_cache = no_store = False
    max_age: float | None = None
    for part in header.lower().split(","):
        name, _, value = part.strip().partition("=")
        if name == "no-cache":
            no_cache = True
        elif name == "no-store":
            no_store = True
        elif name == "max-age" and value.strip().isdigit():
            max_age = float(value.strip())
    return CacheControl(no_cache, no_store, max_age)


class CacheControlMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"cache-control":
                    token = CACHE_CONTROL.set(parse(value.decode("latin-1")))
                    try:
                        await self.app(scope, receive, send)
                    finally:
                        CACHE_CONTROL.reset(token)
                    return
        await self.app(scope, receive, send)
