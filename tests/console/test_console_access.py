"""Who may do what in the console, checked over HTTP as a replaying attacker would: cookies,
CSRF tokens, roles and the sign-in rate limit, against a real gateway and its SQLite store."""

from __future__ import annotations

import re
import sqlite3

import httpx

from tests.console.conftest import ConsoleClient, add_console_user
from tests.gateway_process import TEST_ADMIN_KEY, GatewayProcess


def _key_names(gateway: GatewayProcess) -> list[str]:
    reply = gateway.admin(TEST_ADMIN_KEY, "GET", "/keys")
    return [k["name"] for k in reply.json()["data"]]


def test_pages_need_a_session(console: ConsoleClient) -> None:
    for path in ("/console", "/console/overview", "/console/keys", "/console/audit"):
        reply = console.http.get(path, follow_redirects=True)
        assert reply.url.path == "/console/login"
        assert 'id="login-form"' in reply.text
    refused = console.post("/console/keys", {"name": "anonymous"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "console_sign_in_required"


def test_the_admin_key_signs_in_with_a_strict_http_only_cookie(
    gateway: GatewayProcess, console: ConsoleClient
) -> None:
    reply = console.sign_in("", TEST_ADMIN_KEY)
    assert reply.status_code == 303 and reply.headers["location"] == "/console/overview"
    cookie = reply.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Path=/console" in cookie and "Secure" not in cookie  # plain http on loopback
    session_id = console.http.cookies["switchgear_console"]
    page = console.http.get("/console/overview")
    assert page.status_code == 200 and "admin-key (admin)" in page.text
    assert TEST_ADMIN_KEY not in page.text
    with sqlite3.connect(gateway.db_path) as db:
        stored = [r[0] for r in db.execute("SELECT id_hash FROM console_sessions")]
    assert stored and session_id not in stored  # only its hash is kept
    audit = gateway.admin(TEST_ADMIN_KEY, "GET", "/audit/verify").json()
    assert audit["ok"] is True


def test_a_post_without_the_csrf_token_is_refused(
    gateway: GatewayProcess, console: ConsoleClient
) -> None:
    assert console.sign_in("", TEST_ADMIN_KEY).status_code == 303
    refused = console.post("/console/keys", {"name": "no-token"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    wrong = console.post("/console/keys", {"name": "bad-token", "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    assert "no-token" not in _key_names(gateway) and "bad-token" not in _key_names(gateway)
    made = console.post("/console/keys", {"name": "with-token", "csrf_token": console.csrf()})
    assert made.status_code == 200 and 'id="new-secret"' in made.text
    assert "with-token" in _key_names(gateway)


def test_a_viewer_can_look_but_every_change_is_refused(
    gateway: GatewayProcess, console: ConsoleClient
) -> None:
    created = gateway.admin(TEST_ADMIN_KEY, "POST", "/keys", json={"name": "viewer-target"})
    key_id = created.json()["id"]
    add_console_user(gateway, "vera", "viewer-password-1", "viewer")
    assert console.sign_in("vera", "viewer-password-1").status_code == 303
    keys_page = console.http.get("/console/keys")
    assert keys_page.status_code == 200 and "viewer-target" in keys_page.text
    assert 'id="create-key"' not in keys_page.text and "Revoke" not in keys_page.text
    token = console.csrf()  # a valid token of the viewer's own session
    replays = [
        console.post("/console/keys", {"name": "viewer-made", "csrf_token": token}),
        console.post(f"/console/keys/{key_id}/revoke", {"csrf_token": token}),
        console.post(
            "/console/users",
            {"name": "mallory", "password": "x" * 16, "role": "admin", "csrf_token": token},
        ),
        console.post("/console/knowledge/collections", {"name": "vnotes", "csrf_token": token}),
        console.post(f"/console/keys/{key_id}/limits", {"rpm": "1", "csrf_token": token}),
    ]
    assert [r.status_code for r in replays] == [403, 403, 403, 403, 403]
    assert {r.json()["error"]["code"] for r in replays} == {"console_viewer"}
    assert "viewer-made" not in _key_names(gateway)
    viewed = gateway.admin(TEST_ADMIN_KEY, "GET", f"/keys/{key_id}").json()
    assert viewed["revoked_at"] is None and viewed["limits"] == {}
    assert console.sign_in("mallory", "x" * 16).status_code == 401
    collections = gateway.admin(TEST_ADMIN_KEY, "GET", "/knowledge/collections").json()["data"]
    assert "vnotes" not in [c["name"] for c in collections]


def test_the_playground_stream_and_a_limits_change_need_the_csrf_token(
    gateway: GatewayProcess, console: ConsoleClient
) -> None:
    created = gateway.admin(TEST_ADMIN_KEY, "POST", "/keys", json={"name": "csrf-target"})
    key_id = created.json()["id"]
    assert console.sign_in("", TEST_ADMIN_KEY).status_code == 303
    streamed = console.post("/console/playground/stream", {"model": "chat", "prompt": "hi"})
    assert streamed.status_code == 403 and streamed.json()["error"]["code"] == "csrf_failed"
    limits = console.post(f"/console/keys/{key_id}/limits", {"rpm": "1"})
    assert limits.status_code == 403 and limits.json()["error"]["code"] == "csrf_failed"
    bad = console.post(
        f"/console/keys/{key_id}/limits", {"rpm": "-3", "csrf_token": console.csrf()}
    )
    assert bad.status_code == 400
    assert gateway.admin(TEST_ADMIN_KEY, "GET", f"/keys/{key_id}").json()["limits"] == {}
    # Without `console.oidc` configured there is no identity-provider sign-in to start.
    assert console.http.get("/console/oidc/start").status_code == 404
    # Only the provider's way back (a GET) passes the edge from another site; nothing else.
    cross = {"sec-fetch-site": "cross-site"}
    back = console.http.get("/console/oidc/callback?state=x&code=y", headers=cross)
    assert back.status_code == 404  # it reached the console, which has no OIDC configured
    for path in ("/console/keys", "/console/oidc/start"):
        refused = console.http.get(path, headers=cross)
        assert refused.json()["error"]["code"] == "cross_origin_refused"
    signed_out = httpx.get(f"{gateway.base_url}/console/login")
    assert 'id="login-form"' in signed_out.text and "oidc-sign-in" not in signed_out.text


def test_rotating_a_key_shows_the_new_secret_once_and_ends_the_old_one(
    gateway: GatewayProcess, console: ConsoleClient
) -> None:
    created = gateway.admin(TEST_ADMIN_KEY, "POST", "/keys", json={"name": "to-rotate"}).json()
    old_secret = created["key"]
    assert console.sign_in("", TEST_ADMIN_KEY).status_code == 303
    page = console.post(f"/console/keys/{created['id']}/rotate", {"csrf_token": console.csrf()})
    assert page.status_code == 200
    match = re.search(r'id="new-secret">([^<]+)<', page.text)
    assert match and match.group(1) != old_secret
    models = f"{gateway.base_url}/v1/models"
    assert httpx.get(models, headers={"authorization": f"Bearer {old_secret}"}).status_code == 401
    fresh = {"authorization": f"Bearer {match.group(1)}"}
    assert httpx.get(models, headers=fresh).status_code == 200
    assert match.group(1) not in console.http.get("/console/keys").text
    trail = gateway.admin(TEST_ADMIN_KEY, "GET", "/audit/verify").json()
    assert trail["ok"] is True


def test_five_wrong_passwords_then_the_sixth_try_is_refused(
    gateway: GatewayProcess, console: ConsoleClient
) -> None:
    add_console_user(gateway, "olga", "right-password-1", "admin")
    statuses = [console.sign_in("olga", f"wrong-password-{n}").status_code for n in range(5)]
    assert statuses == [401] * 5
    blocked = console.sign_in("olga", "right-password-1")  # even the right one, for a minute
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.text
    assert "switchgear_console" not in console.http.cookies


def test_console_users_are_created_with_the_admin_key_only(gateway: GatewayProcess) -> None:
    key = gateway.admin(TEST_ADMIN_KEY, "POST", "/keys", json={"name": "plain"}).json()["key"]
    body = {"name": "eve", "password": "eve-password-12", "role": "admin"}
    as_key = gateway.admin(key, "POST", "/console/users", json=body)
    assert as_key.status_code == 403
    short = gateway.admin(TEST_ADMIN_KEY, "POST", "/console/users", json={**body, "password": "x"})
    assert short.status_code == 400 and short.json()["error"]["param"] == "password"
    role = gateway.admin(TEST_ADMIN_KEY, "POST", "/console/users", json={**body, "role": "root"})
    assert role.status_code == 400 and role.json()["error"]["param"] == "role"
    with sqlite3.connect(gateway.db_path) as db:
        rows = db.execute("SELECT password_hash FROM console_users WHERE name = 'eve'")
        assert rows.fetchall() == []


def test_the_audit_page_shows_where_the_chain_breaks(
    gateway: GatewayProcess, console: ConsoleClient
) -> None:
    """Last in this module: it tampers with the shared gateway's audit log."""
    assert console.sign_in("", TEST_ADMIN_KEY).status_code == 303
    assert "Chain verified" in console.http.get("/console/audit/verify").text
    with sqlite3.connect(gateway.db_path) as db:
        db.execute('UPDATE audit SET detail = \'{"name":"forged"}\' WHERE seq = 2')
    page = console.http.get("/console/audit/verify")
    assert page.status_code == 200
    assert "Chain broken" in page.text and "entry 2" in page.text
