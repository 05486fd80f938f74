"""The client's W3C trace context (`traceparent`, `tracestate`), read from each HTTP request
and made current while the request is served, so the trip's span is a child of the client's."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class TraceContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from opentelemetry import context
        from opentelemetry.propagate import extract

        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in (b"traceparent", b"tracestate")
        }
        if not carrier:
            await self.app(scope, receive, send)
            return
        token = context.attach(extract(carrier))
        try:
            await self.app(scope, receive, send)
        finally:
            context.detach(token)
