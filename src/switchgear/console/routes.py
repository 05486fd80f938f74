"""Every console route, and its static assets, for the app's route list."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from switchgear.console import (
    auth_routes,
    knowledge_page,
    oidc_routes,
    pages,
    playground,
    teams_page,
)
from switchgear.console.web import HERE

ROUTES: list[BaseRoute] = [
    *auth_routes.ROUTES,
    *oidc_routes.ROUTES,
    *pages.ROUTES,
    *playground.ROUTES,
    *teams_page.ROUTES,
    *knowledge_page.ROUTES,
    Mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static"),
]
