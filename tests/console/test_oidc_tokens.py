"""The console's ID-token checks, one forgery at a time: a provider on a loopback port
publishes its discovery document and keys, and tokens are signed here with its key or with
another. Only a token signed by a published key, for this client, from this issuer, unexpired,
with the sign-in's nonce, is accepted; the role comes from the configured claim."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from switchgear.console.oidc import OidcClient, SignInRefused, role_for
from switchgear.console_config import OidcConfig, OidcRoles

CLIENT_ID = "switchgear-console"
NONCE = "the-nonce-of-this-sign-in"
PROVIDER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(PROVIDER_KEY.public_key()))
    documents: dict[str, Any] = {"/jwks": {"keys": [{**public, "kid": "k1", "use": "sig"}]}}

    class Provider(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(documents.get(self.path, {})).encode()
            self.send_response(200 if self.path in documents else 404)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    url = f"http://127.0.0.1:{server.server_port}"
    documents["/.well-known/openid-configuration"] = {
        "issuer": url,
        "authorization_endpoint": f"{url}/authorize",
        "token_endpoint": f"{url}/token",
        "jwks_uri": f"{url}/jwks",
    }
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(5)


def _token(issuer: str, key: Any = PROVIDER_KEY, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer, "aud": CLIENT_ID, "sub": "u-1", "iat": now, "exp": now + 300,
        "nonce": NONCE, "email": "ann@acme.example", "groups": ["ops"],
    }  # fmt: skip
    claims.update(changes)
    algorithm = changes.pop("alg", "RS256")
    claims.pop("alg", None)
    return jwt.encode(
        {k: v for k, v in claims.items() if v is not None},
        key,
        algorithm=algorithm,
        headers={"kid": "k1"},
    )


def _check(issuer: str, token: str) -> dict[str, Any]:
    client = OidcClient(OidcConfig(issuer=issuer, client_id=CLIENT_ID))
    return asyncio.run(client.verified_claims(token, NONCE))


def test_a_token_signed_by_the_providers_published_key_is_accepted(issuer: str) -> None:
    claims = _check(issuer, _token(issuer))
    assert claims["sub"] == "u-1" and claims["email"] == "ann@acme.example"


@pytest.mark.parametrize(
    ("forgery", "message"),
    [
        ({"key": OTHER_KEY}, "Signature verification failed"),
        ({"aud": "another-client"}, "Audience"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"nonce": "a-replayed-sign-in"}, "nonce"),
        ({"exp": None}, "exp"),
        ({"key": "a-shared-secret-of-32-bytes-long!", "alg": "HS256"}, "`HS256` is not accepted"),
    ],
)
def test_a_forged_or_stale_token_is_refused(
    issuer: str, forgery: dict[str, Any], message: str
) -> None:
    key = forgery.pop("key", PROVIDER_KEY)
    with pytest.raises(SignInRefused, match=message):
        _check(issuer, _token(issuer, key, **forgery))


def test_an_unsigned_token_is_refused(issuer: str) -> None:
    unsigned = jwt.encode({"iss": issuer, "aud": CLIENT_ID, "sub": "u-1"}, None, algorithm="none")
    with pytest.raises(SignInRefused, match="`none` is not accepted"):
        _check(issuer, unsigned)


def test_the_role_comes_from_the_claim_admin_first_and_no_match_is_no_role() -> None:
    roles = OidcRoles(claim="groups", admin=["sg-admins"], viewer=["eng*", "sg-admins"])
    assert role_for({"groups": ["eng-platform", "sg-admins"]}, roles) == "admin"
    assert role_for({"groups": ["engineering"]}, roles) == "viewer"
    assert role_for({"groups": ["sales"]}, roles) is None
    assert role_for({}, roles) is None
    by_domain = OidcRoles(claim="email", viewer=["*@acme.example"])
    assert role_for({"email": "ann@acme.example"}, by_domain) == "viewer"
    assert role_for({"email": "ann@acme.example.evil.io"}, by_domain) is None
