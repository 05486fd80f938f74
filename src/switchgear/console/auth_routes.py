"""Signing in and out of the console, and console users (created through the admin API or by
an admin on the Users page). The admin key also signs in, as an admin."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from switchgear.api.admin_routes import admin_gateway, audit_admin_action, json_response
from switchgear.api.body import decode_body, read_body
from switchgear.console.accounts import ADMIN_KEY_USER, MAX_FAILURES, ROLES
from switchgear.console.web import (
    COOKIE,
    accounts_of,
    changing_session,
    current_session,
    gateway_of,
    limiter_of,
    page_session,
    render,
    set_session_cookie,
    text_field,
)
from switchgear.schema.errors import InvalidRequest
from switchgear.store.base import AdminEvent

USER_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 12


class ConsoleUserSpec(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    password: str
    role: str = "viewer"


def check_user_spec(name: str, password: str, role: str) -> None:
    if not USER_NAME.match(name) or name == ADMIN_KEY_USER:
        raise InvalidRequest(
            "A console user name is 1-64 letters, digits or `_.@-` (not `admin-key`).",
            param="name",
        )
    if len(password) < MIN_PASSWORD or len(password) > 1024:
        raise InvalidRequest(
            f"A console password has {MIN_PASSWORD} to 1024 characters.", param="password"
        )
    if role not in ROLES:
        raise InvalidRequest(f"`role` is one of {', '.join(ROLES)}.", param="role")


async def audit_console_action(
    request: Request, actor: str, action: str, subject: str, detail: dict[str, Any]
) -> None:
    """The audit entry of a change made in the console, committed before the reply."""
    event = AdminEvent(time.time(), f"console:{actor}", action, subject, detail)
    await asyncio.wrap_future(gateway_of(request).ledger.record(event))


async def login_page(request: Request) -> Response:
    if current_session(request) is not None:
        return RedirectResponse("/console/overview", 303)
    return render(request, "login.html", None, oidc=gateway_of(request).config.console.oidc)


async def login(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=8)
    name = text_field(form, "name", 64)
    password = form.get("password")
    password = password[:1024] if isinstance(password, str) else ""
    address = request.client.host if request.client else ""
    oidc = gateway_of(request).config.console.oidc
    limiter = limiter_of(request)
    if limiter.blocked(name, address):
        message = f"Too many failed sign-ins ({MAX_FAILURES} a minute). Wait a minute."
        return render(request, "login.html", None, status=429, error=message, name=name, oidc=oidc)
    keys = gateway_of(request).governor.keys
    role: str | None
    if not name:  # the admin key, pasted as the password
        role = "admin" if password and keys.is_admin_secret(password) else None
        name = ADMIN_KEY_USER
    else:
        role = await asyncio.to_thread(accounts_of(request).check_password, name, password)
    if role is None:
        limiter.failed(name if name != ADMIN_KEY_USER else "", address)
        error = "Wrong name or password."
        return render(request, "login.html", None, status=401, error=error, name=name, oidc=oidc)
    session_id, _ = await asyncio.to_thread(accounts_of(request).open_session, name, role)
    await audit_console_action(request, name, "console.sign_in", name, {"role": role})
    response = RedirectResponse("/console/overview", 303)
    set_session_cookie(request, response, session_id)
    return response


async def logout(request: Request) -> Response:
    await changing_session(request, admin=False)
    session_id = request.cookies.get(COOKIE, "")
    await asyncio.to_thread(accounts_of(request).close_session, session_id)
    response = RedirectResponse("/console/login", 303)
    response.delete_cookie(COOKIE, path="/console")
    return response


async def users_page(request: Request) -> Response:
    session = page_session(request)
    if isinstance(session, Response):
        return session
    users = await asyncio.to_thread(accounts_of(request).list_users)
    return render(request, "users.html", session, users=users, roles=ROLES)


async def add_user_in_console(request: Request) -> Response:
    session, form = await changing_session(request)
    name, role = text_field(form, "name", 64), text_field(form, "role", 16)
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    check_user_spec(name, password, role)
    created = await asyncio.to_thread(accounts_of(request).add_user, name, password, role)
    await audit_console_action(
        request, session.name, "console.users.add", name, {"role": role, "new": created}
    )
    return RedirectResponse("/console/users", 303)


async def add_user_by_api(request: Request) -> Response:
    """`POST /admin/console/users {"name", "password", "role"}` with the admin key."""
    gateway = admin_gateway(request)
    spec = decode_body(await read_body(request, 8192), ConsoleUserSpec)
    check_user_spec(spec.name, spec.password, spec.role)
    created = await asyncio.to_thread(
        accounts_of(request).add_user, spec.name, spec.password, spec.role
    )
    detail = {"role": spec.role, "new": created}
    await audit_admin_action(gateway, "console.users.add", spec.name, detail)
    body = {"object": "console.user", "name": spec.name, "role": spec.role}
    return json_response(body, status=201 if created else 200)


ROUTES = [
    Route("/console/login", login_page, methods=["GET"]),
    Route("/console/login", login, methods=["POST"]),
    Route("/console/logout", logout, methods=["POST"]),
    Route("/console/users", users_page, methods=["GET"]),
    Route("/console/users", add_user_in_console, methods=["POST"]),
    Route("/admin/console/users", add_user_by_api, methods=["POST"]),
]
