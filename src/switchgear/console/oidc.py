"""OpenID Connect sign-in for the console: the authorization code flow with PKCE (S256), the
`state` bound to the browser and the `nonce` bound to the ID token, and the ID token's
signature checked against the provider's published keys (PyJWT), with its issuer, audience,
expiry and issue time. Which console role a person gets comes from one claim of the ID token,
matched against the config's lists; no match, no session."""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import jwt

from switchgear.console_config import OidcConfig, OidcRoles

PENDING_SECONDS = 600  # how long a started sign-in may take at the provider
# Asymmetric signatures only: `none` and HMAC (keyed with a secret the client holds) are refused.
SIGNING_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip
CLOCK_LEEWAY_S = 60
KEYS_REFRESH_S = 300  # an unknown `kid` refetches the keys, at most this often


class SignInRefused(Exception):
    """The sign-in cannot go on; the message is shown on the sign-in page as it is."""


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """What the browser carries (in an HttpOnly cookie) between the start and the callback."""

    state: str
    nonce: str
    verifier: str
    started_at: float

    def to_cookie(self) -> str:
        return base64.urlsafe_b64encode(json.dumps(asdict(self)).encode()).decode()

    @classmethod
    def from_cookie(cls, value: str) -> PendingSignIn | None:
        try:
            fields = json.loads(base64.urlsafe_b64decode(value.encode()))
            pending = cls(
                str(fields["state"]),
                str(fields["nonce"]),
                str(fields["verifier"]),
                float(fields["started_at"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        return pending if time.time() - pending.started_at < PENDING_SECONDS else None


@dataclass(frozen=True, slots=True)
class SignedIn:
    name: str
    role: str
    subject: str


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _values(claim: Any) -> list[str]:
    if isinstance(claim, str):
        return [claim]
    if isinstance(claim, list):
        return [v for v in claim if isinstance(v, str)]
    return []


def role_for(claims: dict[str, Any], roles: OidcRoles) -> str | None:
    """admin when a value of the claim matches an admin pattern, else viewer for a viewer
    pattern, else None (refused)."""
    values = _values(claims.get(roles.claim))
    for role, patterns in (("admin", roles.admin), ("viewer", roles.viewer)):
        if any(fnmatch.fnmatchcase(v, p) for v in values for p in patterns):
            return role
    return None


class OidcClient:
    """One provider: its discovery document and keys, fetched when first needed and kept."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self.issuer = config.issuer.rstrip("/")
        self._discovery: dict[str, Any] | None = None
        self._keys: jwt.PyJWKSet | None = None
        self._keys_fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _get(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                reply = await client.get(url)
            reply.raise_for_status()
            found = reply.json()
        except (httpx.HTTPError, ValueError) as error:
            raise SignInRefused(f"The identity provider could not be read ({error}).") from None
        if not isinstance(found, dict):
            raise SignInRefused("The identity provider sent something other than JSON.")
        return found

    async def discovery(self) -> dict[str, Any]:
        async with self._lock:
            if self._discovery is None:
                found = await self._get(f"{self.issuer}/.well-known/openid-configuration")
                if str(found.get("issuer", "")).rstrip("/") != self.issuer:
                    raise SignInRefused("The identity provider names another issuer.")
                for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(found.get(needed), str):
                        raise SignInRefused(f"The provider's discovery lacks `{needed}`.")
                self._discovery = found
            return self._discovery

    async def start(self, redirect_uri: str) -> tuple[str, PendingSignIn]:
        """The provider's authorization URL to send the browser to, and what to remember."""
        endpoint = str((await self.discovery())["authorization_endpoint"])
        pending = PendingSignIn(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(48),
            time.time(),
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(self.config.scopes),
                "state": pending.state,
                "nonce": pending.nonce,
                "code_challenge": _challenge(pending.verifier),
                "code_challenge_method": "S256",
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", pending

    async def finish(self, code: str, pending: PendingSignIn, redirect_uri: str) -> SignedIn:
        """The code exchanged for an ID token, the token checked, the role found."""
        found = await self.discovery()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pending.verifier,
        }
        headers = {"accept": "application/json"}
        secret = self.config.client_secret()
        if secret:  # client_secret_basic: each part form-encoded first (RFC 6749, 2.3.1)
            pair = f"{quote(self.config.client_id, safe='')}:{quote(secret, safe='')}"
            headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:  # a public client: PKCE is what proves it started this sign-in
            form["client_id"] = self.config.client_id
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                reply = await client.post(str(found["token_endpoint"]), data=form, headers=headers)
            tokens = reply.json()
        except (httpx.HTTPError, ValueError) as error:
            raise SignInRefused(f"The identity provider could not be reached ({error}).") from None
        if reply.status_code != 200 or not isinstance(tokens.get("id_token"), str):
            problem = tokens.get("error", reply.status_code) if isinstance(tokens, dict) else ""
            raise SignInRefused(f"The identity provider refused the sign-in code ({problem}).")
        claims = await self.verified_claims(tokens["id_token"], pending.nonce)
        role = role_for(claims, self.config.roles)
        if role is None:
            raise SignInRefused("Your account has no console role here; ask an administrator.")
        name = claims.get(self.config.name_claim)
        return SignedIn(str(name or claims["sub"])[:200], role, str(claims["sub"]))

    async def _key(self, kid: str | None) -> jwt.PyJWK:
        async with self._lock:
            for attempt in range(2):
                stale = time.monotonic() - self._keys_fetched_at > KEYS_REFRESH_S
                if self._keys is None or (attempt == 1 and stale):
                    uri = str((self._discovery or {}).get("jwks_uri"))
                    self._keys = jwt.PyJWKSet.from_dict(await self._get(uri))
                    self._keys_fetched_at = time.monotonic()
                keys = [k for k in self._keys.keys if kid is None or k.key_id == kid]
                if len(keys) == 1 or (keys and kid is not None):
                    return keys[0]
        raise SignInRefused("The ID token is signed with a key the provider does not publish.")

    async def verified_claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        await self.discovery()
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError:
            raise SignInRefused("The identity provider sent a malformed ID token.") from None
        algorithm = header.get("alg")
        if algorithm not in SIGNING_ALGORITHMS:
            raise SignInRefused(f"The ID token's signature kind `{algorithm}` is not accepted.")
        key = await self._key(header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key=key.key,
                algorithms=[algorithm],
                audience=self.config.client_id,
                issuer=self.issuer,
                leeway=CLOCK_LEEWAY_S,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise SignInRefused(f"The ID token was not accepted: {error}.") from None
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise SignInRefused("The ID token was issued for another sign-in (nonce).")
        audience = claims["aud"]
        several = isinstance(audience, list) and len(audience) > 1
        if several and claims.get("azp") != self.config.client_id:
            raise SignInRefused("The ID token was issued to another client (azp).")
        return claims
