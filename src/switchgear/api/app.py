"""The ASGI application: routes, error handlers and the gateway's lifecycle."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp

from switchgear.api import (
    admin_routes,
    anthropic_routes,
    batch_routes,
    connector_routes,
    feed_routes,
    knowledge_routes,
    openai_routes,
    openapi,
    ops_routes,
    responses_routes,
)
from switchgear.api.edge import EdgeGuard
from switchgear.api.errors import on_gateway_error, on_http_exception, on_unexpected
from switchgear.gateway import Gateway
from switchgear.schema.errors import GatewayError

log = logging.getLogger("switchgear")


def create_app(gateway: Gateway, bind_host: str = "127.0.0.1") -> ASGIApp:
    """The gateway's ASGI app behind its edge checks (host names, origins, content types)."""
    app: ASGIApp = create_routes_app(gateway)
    if any(route.cache is not None for route in gateway.config.routes.values()):
        from switchgear.cache.control import CacheControlMiddleware

        app = CacheControlMiddleware(app)
    if gateway.config.tracing.enabled:
        from switchgear.tracing.middleware import TraceContextMiddleware

        app = TraceContextMiddleware(app)
    return EdgeGuard(app, gateway.config.server, bind_host)


def create_routes_app(gateway: Gateway) -> Starlette:
    # Imported here: the console builds on api/ (admin checks, bodies), not the reverse.
    from switchgear.console.routes import ROUTES as CONSOLE_ROUTES

    mcp_door = None
    if gateway.config.mcp.servers:  # the MCP SDK loads only for a gateway that serves /mcp
        from switchgear.api.mcp_routes import McpDoor

        mcp_door = McpDoor(gateway)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        log.info("ready: models %s", ", ".join(gateway.router.names()))
        try:
            async with (
                mcp_door.running() if mcp_door else contextlib.nullcontext(),
                connector_routes.running(gateway),  # scheduled and watched syncs
            ):
                yield
        finally:
            await gateway.stop()

    app = Starlette(
        routes=[
            *openai_routes.ROUTES,
            *anthropic_routes.ROUTES,
            *responses_routes.ROUTES,
            *ops_routes.ROUTES,
            *admin_routes.ROUTES,
            *knowledge_routes.ROUTES,
            *connector_routes.ROUTES,
            *feed_routes.ROUTES,
            *batch_routes.ROUTES,
            *openapi.ROUTES,
            *CONSOLE_ROUTES,
            *(mcp_door.routes if mcp_door else []),
        ],
        exception_handlers={
            GatewayError: on_gateway_error,
            HTTPException: on_http_exception,
            Exception: on_unexpected,
        },
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    return app
