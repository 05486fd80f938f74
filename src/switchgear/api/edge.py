"""The first thing every HTTP request meets: which host names the gateway answers to, which
browser origins may call it, and what a request body must be. It stops cross-site and
DNS-rebinding attacks on a gateway that trusts loopback callers (the default, keyless mode):

- `Host` must be one of the allowed names (loopback names by default on a loopback bind);
- the admin API (and the console) answers no other origin: a request whose `Origin` is not the
  gateway itself, or that the browser marks `Sec-Fetch-Site: cross-site`, is refused;
- /v1 answers another origin only if the operator listed it in `server.cors_origins`;
- bodies sent to the admin API must be JSON (a form post cannot be dressed up as one), and
  /v1 takes JSON (or what `curl -d` sends), never `text/plain` or a multipart form, except
  a file upload to /v1/files that no other site started.

Everything refused here gets the same OpenAI-shaped JSON error as the rest of the API.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from switchgear.api.errors import error_response
from switchgear.config import ServerConfig
from switchgear.schema.errors import GatewayError, InvalidRequest

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
_ADMIN_PREFIXES = ("/admin", "/console")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_JSON = "application/json"
# What a client may send to /v1: JSON, nothing (some SDKs), or curl's default for `-d`.
# NDJSON for event feeds (/v1/feeds): no form or simple cross-site request can send it.
_V1_TYPES = frozenset({"", _JSON, "application/x-www-form-urlencoded", "application/x-ndjson"})
# Admin bodies: JSON, and multipart for document uploads (only from the gateway's own origin).
_MULTIPART = "multipart/form-data"
_ADMIN_TYPES = frozenset({"", _JSON, _MULTIPART})
_CROSS = ("cross-site", "same-site")  # `Sec-Fetch-Site` of a request another site started
# The identity provider sends the browser back to the console's OIDC callback from its own
# site, by design; that GET is checked by the sign-in's state, nonce and PKCE instead.
_CROSS_SITE_ENTRIES = frozenset({("GET", "/console/oidc/callback")})


class Refused(GatewayError):
    status = 403
    type = "permission_error"


def allowed_hosts(settings: ServerConfig, bind_host: str) -> frozenset[str] | None:
    """The names `Host` may carry; None: any (a gateway bound to a public address)."""
    if settings.allowed_hosts:
        return frozenset(h.lower() for h in settings.allowed_hosts) | LOOPBACK_NAMES
    if bind_host in LOOPBACK_NAMES:
        return LOOPBACK_NAMES
    return None


def _host_name(host: str) -> str:
    """`Host` without its port (`[::1]:8080` -> `[::1]`, `localhost:8080` -> `localhost`)."""
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    return host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()


class EdgeGuard:
    def __init__(self, app: ASGIApp, settings: ServerConfig, bind_host: str) -> None:
        self.app = app
        self.hosts = allowed_hosts(settings, bind_host)
        self.cors_origins = frozenset(o.rstrip("/") for o in settings.cors_origins)
        self.cors = CORSMiddleware(
            app,
            allow_origins=sorted(self.cors_origins),
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],  # DELETE: stored responses
            allow_headers=["*"],
            expose_headers=[
                "x-request-id",
                "request-id",  # the Anthropic door's
                "x-switchgear-model",
                "x-switchgear-target",
                "x-switchgear-language",
                "x-switchgear-tool-calls",
                "x-switchgear-dropped-tools",
            ],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = origin = fetch_site = content_type = ""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"sec-fetch-site":
                fetch_site = value.decode("latin-1").lower()
            elif name == b"content-type":
                content_type = value.decode("latin-1").split(";", 1)[0].strip().lower()
        refusal = self._refusal(scope, host, origin, fetch_site, content_type)
        if refusal is not None:
            await error_response(refusal, path=scope["path"])(scope, receive, send)
            return
        if origin and origin.rstrip("/") in self.cors_origins and scope["path"].startswith("/v1"):
            await self.cors(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(
        self, scope: Scope, host: str, origin: str, fetch_site: str, content_type: str
    ) -> GatewayError | None:
        path: str = scope["path"]
        if self.hosts is not None and _host_name(host) not in self.hosts:
            return Refused(
                f"This gateway does not answer to the host name `{host[:100]}` "
                "(see server.allowed_hosts).",
                code="host_not_allowed",
            )
        admin = path.startswith(_ADMIN_PREFIXES)
        foreign = bool(origin) and not _same_origin(origin, host)
        entry = (scope["method"], path) in _CROSS_SITE_ENTRIES
        if admin and (foreign or fetch_site in _CROSS) and not entry:
            return Refused(
                "The admin API does not answer requests from other sites.",
                code="cross_origin_refused",
            )
        if foreign and path.startswith("/v1") and origin.rstrip("/") not in self.cors_origins:
            return Refused(
                f"Browser requests from {origin[:100]} are not allowed (see server.cors_origins).",
                code="cross_origin_refused",
            )
        if scope["method"] in _BODY_METHODS:
            accepted = _ADMIN_TYPES if admin else _V1_TYPES
            # File uploads (the SDKs send multipart) from anything but a cross-site page: a
            # form can post multipart across sites, and a browser says when it does.
            uploading = path == "/v1/files" and not foreign and fetch_site not in _CROSS
            if uploading and content_type == _MULTIPART:
                return None
            if content_type not in accepted:
                return InvalidRequest(
                    f"Unsupported content type `{content_type[:100]}`; send "
                    "`content-type: application/json`.",
                    status=415,
                    code="unsupported_media_type",
                )
        return None


def _same_origin(origin: str, host: str) -> bool:
    """An `Origin` naming the gateway itself (its console, a same-origin fetch)."""
    parts = urlsplit(origin)
    return bool(parts.netloc) and parts.netloc.lower() == host.lower()
