"""Admin API for knowledge connectors: the status of each, and a sync run now (audited).

`GET /admin/knowledge/connectors` lists every configured connector with its last run;
`POST /admin/knowledge/connectors/{name}/sync` runs one sync and answers its report (404 for
an unknown name, 409 while that connector is syncing already). Scheduled and watched syncs
run in the background for the gateway's lifetime (`running`, entered by the app's lifespan).
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchgear.api.admin_routes import admin_gateway, audit_admin_action, json_response
from switchgear.gateway import Gateway
from switchgear.knowledge.connectors.hub import ConnectorHub, SyncRunning, UnknownConnector
from switchgear.knowledge.service import Knowledge
from switchgear.schema.errors import InvalidRequest, NotFound

_HUBS: weakref.WeakKeyDictionary[Gateway, ConnectorHub] = weakref.WeakKeyDictionary()


def connector_hub(gateway: Gateway) -> ConnectorHub:
    """The gateway's one hub (one lock per connector, shared by API, console and schedules)."""
    hub = _HUBS.get(gateway)
    if hub is None:
        config = gateway.config
        # Through a weak reference: the hub must not keep its own key (the gateway) alive.
        owner = weakref.ref(gateway)

        def knowledge() -> Knowledge:
            alive = owner()
            assert alive is not None, "a connector hub outlived its gateway"
            return alive.knowledge()

        hub = ConnectorHub(knowledge, config.knowledge.connectors, config.resolved_data_dir())
        _HUBS[gateway] = hub
    return hub


@contextlib.asynccontextmanager
async def running(gateway: Gateway) -> AsyncIterator[None]:
    """Scheduled and watched syncs while the gateway serves; nothing when none is configured."""
    if not gateway.config.knowledge.connectors:
        yield
        return
    hub = connector_hub(gateway)
    try:
        async with hub.scheduled():
            yield
    finally:
        hub.close()


async def list_connectors(request: Request) -> Response:
    gateway = admin_gateway(request)
    statuses = await asyncio.to_thread(connector_hub(gateway).statuses)
    return json_response({"object": "list", "data": statuses})


async def sync_connector(request: Request) -> Response:
    gateway = admin_gateway(request)
    name: str = request.path_params["name"]
    try:
        report = await asyncio.to_thread(connector_hub(gateway).sync, name)
    except UnknownConnector as error:
        raise NotFound(f"No knowledge connector `{name}`.", param="name") from error
    except SyncRunning as error:
        raise InvalidRequest(str(error), code="sync_running", status=409) from error
    body = report.to_dict()
    detail = {"collection": report.collection, "error": report.error}
    detail.update({status: body[status] for status in report.counts})
    await audit_admin_action(gateway, "knowledge.connector_sync", name, detail)
    return json_response(body)


_BASE = "/admin/knowledge/connectors"
ROUTES = [
    Route(_BASE, list_connectors, methods=["GET"]),
    Route(_BASE + "/{name}/sync", sync_connector, methods=["POST"]),
]
