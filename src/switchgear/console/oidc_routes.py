"""`/console/oidc/start` sends the browser to the identity provider; `/console/oidc/callback`
takes it back, checks everything (see oidc.py) and opens a console session with the role the
ID token's claim maps to. Served only when `console.oidc` is configured."""

from __future__ import annotations

import asyncio
import hmac

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from switchgear.console.auth_routes import audit_console_action
from switchgear.console.oidc import OidcClient, PendingSignIn, SignInRefused
from switchgear.console.web import accounts_of, gateway_of, render, set_session_cookie
from switchgear.schema.errors import NotFound

PENDING_COOKIE = "switchgear_oidc"
CALLBACK_PATH = "/console/oidc/callback"


def oidc_client_of(request: Request) -> OidcClient:
    config = gateway_of(request).config.console.oidc
    if config is None:
        raise NotFound("Sign-in through an identity provider is not configured.")
    state = request.app.state
    if getattr(state, "console_oidc", None) is None:
        state.console_oidc = OidcClient(config)
    client: OidcClient = state.console_oidc
    return client


def _redirect_uri(request: Request, client: OidcClient) -> str:
    if client.config.redirect_url:
        return client.config.redirect_url
    return str(request.base_url).rstrip("/") + CALLBACK_PATH


def _refused(request: Request, client: OidcClient, message: str) -> Response:
    response = render(request, "login.html", None, status=403, error=message, oidc=client.config)
    response.delete_cookie(PENDING_COOKIE, path="/console/oidc")
    return response


async def start(request: Request) -> Response:
    client = oidc_client_of(request)
    try:
        url, pending = await client.start(_redirect_uri(request, client))
    except SignInRefused as refused:
        return _refused(request, client, str(refused))
    response = RedirectResponse(url, 303)
    # Lax, not Strict: the provider's redirect back is a navigation from another site.
    response.set_cookie(
        PENDING_COOKIE,
        pending.to_cookie(),
        max_age=600,
        path="/console/oidc",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


async def callback(request: Request) -> Response:
    client = oidc_client_of(request)
    params = request.query_params
    pending = PendingSignIn.from_cookie(request.cookies.get(PENDING_COOKIE, "")[:2000])
    sent_state = params.get("state", "")
    if pending is None:
        return _refused(request, client, "This sign-in expired or began in another browser.")
    if not sent_state or not hmac.compare_digest(sent_state.encode(), pending.state.encode()):
        return _refused(request, client, "The sign-in's state did not match; start again.")
    if params.get("error"):
        message = f"The identity provider refused: {params.get('error', '')[:100]}."
        return _refused(request, client, message)
    try:
        code = params.get("code", "")[:4000]
        person = await client.finish(code, pending, _redirect_uri(request, client))
    except SignInRefused as refused:
        return _refused(request, client, str(refused))
    session_id, _ = await asyncio.to_thread(
        accounts_of(request).open_session, person.name, person.role
    )
    detail = {"role": person.role, "via": "oidc", "issuer": client.issuer, "sub": person.subject}
    await audit_console_action(request, person.name, "console.sign_in", person.name, detail)
    # A page, not a redirect: a redirect chain that began on the provider's site is
    # cross-site, and the browser would hold back the SameSite=Strict session cookie.
    response = render(request, "signed_in.html", None, name=person.name, role=person.role)
    response.delete_cookie(PENDING_COOKIE, path="/console/oidc")
    set_session_cookie(request, response, session_id)
    return response


ROUTES = [
    Route("/console/oidc/start", start, methods=["GET"]),
    Route(CALLBACK_PATH, callback, methods=["GET"]),
]
