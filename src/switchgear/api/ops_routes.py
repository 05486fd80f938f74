"""Liveness, readiness and Prometheus metrics for whoever runs the gateway."""

from __future__ import annotations

import msgspec
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchgear.gateway import Gateway


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


async def healthz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


async def readyz(request: Request) -> Response:
    gateway = _gateway(request)
    models = {name: p.is_ready() for name, p in gateway.providers.items()}
    ready = all(models.values())
    body = {"status": "ready" if ready else "loading", "models": models}
    return Response(
        msgspec.json.encode(body), status_code=200 if ready else 503, media_type="application/json"
    )


async def metrics(request: Request) -> Response:
    gateway = _gateway(request)
    for name, provider in gateway.providers.items():
        pending = getattr(getattr(provider, "engine", None), "pending", None)
        if pending is not None:
            gateway.metrics.queue_depth.labels(name).set(pending)
    return Response(gateway.metrics.render(), media_type=CONTENT_TYPE_LATEST)


async def route_table(request: Request) -> Response:
    """The resolved route table with each target's live health (`switchgear routes`)."""
    from switchgear.api.admin_routes import admin_gateway
    from switchgear.routing.describe import describe_routes

    body = describe_routes(admin_gateway(request).router)
    return Response(msgspec.json.encode(body), media_type="application/json")


ROUTES = [
    Route("/admin/routes", route_table, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
