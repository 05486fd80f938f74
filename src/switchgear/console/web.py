"""What every console page shares: the templates, the signed-in session, the CSRF and role
checks, and the headers that keep pages out of caches and frames."""

from __future__ import annotations

import hmac
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from switchgear.console.accounts import ConsoleAccounts, ConsoleSession, SignInLimiter
from switchgear.gateway import Gateway
from switchgear.governance.governor import Forbidden, Unauthorized

HERE = Path(__file__).parent
COOKIE = "switchgear_console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_FORM_FILES = 100  # documents in one knowledge upload from the console
PAGE_HEADERS = {
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    # Every script and style is served from /console/static; nothing inline runs.
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


def _when(value: float | None) -> str:
    if value is None:
        return ""
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _money(value: float | None) -> str:
    return "" if value is None else f"${value:,.6f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def _policy_text(conditions: msgspec.Struct) -> str:
    """A policy's `deny` or `when`, as the config file says it: only the conditions given."""
    given = {k: v for k, v in msgspec.structs.asdict(conditions).items() if v is not None}
    return "; ".join(
        f"{k.replace('_', ' ')} {', '.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in given.items()
    )


TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)
TEMPLATES.filters.update(when=_when, money=_money, ms=_ms, policy_text=_policy_text)


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def accounts_of(request: Request) -> ConsoleAccounts:
    state = request.app.state
    if getattr(state, "console_accounts", None) is None:
        state.console_accounts = ConsoleAccounts(gateway_of(request).store)
        state.console_limiter = SignInLimiter()
    accounts: ConsoleAccounts = state.console_accounts
    return accounts


def limiter_of(request: Request) -> SignInLimiter:
    accounts_of(request)
    limiter: SignInLimiter = request.app.state.console_limiter
    return limiter


def render(
    request: Request,
    template: str,
    session: ConsoleSession | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(
        session=session, path=request.url.path, csrf_field=CSRF_FIELD, **context
    )
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def current_session(request: Request) -> ConsoleSession | None:
    session_id = request.cookies.get(COOKIE)
    if not session_id or len(session_id) > 100:
        return None
    session = accounts_of(request).session(session_id)
    return session if session is not None and session.expires_at > time.time() else None


def page_session(request: Request) -> ConsoleSession | Response:
    """The session for a page; a redirect to the sign-in page when there is none."""
    session = current_session(request)
    return session if session is not None else RedirectResponse("/console/login", 303)


async def changing_session(request: Request, admin: bool = True) -> tuple[ConsoleSession, FormData]:
    """The session and form of a POST: signed in, the session's CSRF token sent back, and
    (for a change) the admin role. Checked here, on the server, for every POST."""
    session = current_session(request)
    if session is None:
        raise Unauthorized("Sign in to the console first.", code="console_sign_in_required")
    form = await request.form(max_files=MAX_FORM_FILES, max_fields=64)
    sent = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, session.csrf):
        raise Forbidden("The console form's CSRF token is missing or wrong.", code="csrf_failed")
    if admin and not session.is_admin:
        raise Forbidden("A viewer can look but not change anything.", code="console_viewer")
    return session, form


def text_field(form: FormData, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=12 * 3600,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
