"""Virtual API keys: created through the admin API, stored hashed, checked in constant time.

A key's secret is shown once, at creation or rotation. The gateway keeps every key's hash in
memory (refreshed from the store every few seconds for other replicas' changes), so checking
a key costs no database round-trip.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

from switchgear.store.base import KeyRow, KeyStore

SECRET_PREFIX = "sg-"


@dataclass(slots=True, frozen=True)
class Identity:
    """Who is calling, as every later stage sees it."""

    key_id: str | None
    name: str
    team: str | None
    app: str | None
    allowed_models: tuple[str, ...]
    guard_policy: str | None
    tags: tuple[str, ...]
    limits: dict[str, int]
    budgets: dict[str, float]
    is_admin: bool = False
    # The person behind the key (its `metadata.user`), for document permissions.
    user: str | None = None
    # fnmatch patterns of the MCP tools the key may call (`everything__*`); empty: its team's,
    # app's or the config's default (see `mcp/access.py`).
    allowed_tools: tuple[str, ...] = ()

    def may_use(self, name: str) -> bool:
        return self.is_admin or not self.allowed_models or name in self.allowed_models


ANONYMOUS = Identity(None, "anonymous", None, None, (), None, (), {}, {})
ADMIN = Identity(None, "admin", None, None, (), None, (), {}, {}, is_admin=True)
# The gateway itself, for internal calls made outside any caller's request.
SYSTEM = Identity(None, "system", None, None, (), None, (), {}, {}, is_admin=True)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class KeyRing:
    def __init__(self, store: KeyStore, admin_secret: str | None) -> None:
        self.store = store
        self._admin_hash = hash_secret(admin_secret) if admin_secret else None
        self._by_hash: dict[str, KeyRow] = {}
        self._lock = threading.Lock()
        self.refresh()

    @property
    def has_admin_key(self) -> bool:
        return self._admin_hash is not None

    @property
    def enforced(self) -> bool:
        """With no admin key and no virtual keys, the gateway runs open (on loopback only)."""
        return self._admin_hash is not None or bool(self._by_hash)

    def refresh(self) -> None:
        rows = self.store.list_keys()
        with self._lock:
            self._by_hash = {row.secret_hash: row for row in rows}

    def identify(self, secret: str) -> Identity | KeyRow | None:
        """The identity for a secret; a revoked or expired key's row; None if unknown."""
        digest = hash_secret(secret)
        if self._admin_hash is not None and hmac.compare_digest(digest, self._admin_hash):
            return ADMIN
        row = self._by_hash.get(digest)
        if row is None or not hmac.compare_digest(row.secret_hash, digest):
            return None
        return _identity_or_row(row)

    def by_id(self, key_id: str) -> Identity | KeyRow | None:
        """The identity of a key by its id (a batch runs as the key that created it); a
        revoked or expired key's row; None if unknown."""
        with self._lock:
            row = next((r for r in self._by_hash.values() if r.id == key_id), None)
        return None if row is None else _identity_or_row(row)

    def is_admin_secret(self, secret: str) -> bool:
        return self._admin_hash is not None and hmac.compare_digest(
            hash_secret(secret), self._admin_hash
        )

    # -- administration -------------------------------------------------------------------

    def create(self, fields: dict[str, Any]) -> tuple[KeyRow, str]:
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        now = time.time()
        row = KeyRow(
            id="key_" + uuid.uuid4().hex[:16],
            prefix=secret[:10],
            secret_hash=hash_secret(secret),
            name=fields.get("name") or "unnamed",
            team=fields.get("team"),
            app=fields.get("app"),
            allowed_models=tuple(fields.get("allowed_models") or ()),
            guard_policy=fields.get("guard_policy"),
            tags=tuple(fields.get("tags") or ()),
            expires_at=fields.get("expires_at"),
            metadata=_with_tools(dict(fields.get("metadata") or {}), fields.get("allowed_tools")),
            limits=dict(fields.get("limits") or {}),
            budgets=dict(fields.get("budgets") or {}),
            created_at=now,
            updated_at=now,
        )
        self._save(row)
        return row, secret

    def update(self, key_id: str, fields: dict[str, Any]) -> KeyRow:
        row = self.get(key_id)
        changes: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
        if "allowed_tools" in changes:
            metadata = changes.get("metadata", row.metadata)
            changes["metadata"] = _with_tools(dict(metadata), changes.pop("allowed_tools"))
        elif "metadata" in changes and TOOLS_METADATA in row.metadata:
            # Replacing the metadata keeps the key's tool permissions unless they are named.
            changes["metadata"] = {
                TOOLS_METADATA: row.metadata[TOOLS_METADATA],
                **changes["metadata"],
            }
        for name in ("allowed_models", "tags"):
            if name in changes:
                changes[name] = tuple(changes[name])
        updated = replace(row, **changes, updated_at=time.time())
        self._save(updated, old=row)
        return updated

    def revoke(self, key_id: str) -> KeyRow:
        row = self.get(key_id)
        revoked = replace(row, revoked_at=time.time(), updated_at=time.time())
        self._save(revoked, old=row)
        return revoked

    def rotate(self, key_id: str) -> tuple[KeyRow, str]:
        """A new secret for the same key (same limits, same usage history); the old one dies."""
        row = self.get(key_id)
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        rotated = replace(
            row, prefix=secret[:10], secret_hash=hash_secret(secret), updated_at=time.time()
        )
        self._save(rotated, old=row)
        return rotated, secret

    def get(self, key_id: str) -> KeyRow:
        for row in self.list():
            if row.id == key_id:
                return row
        raise KeyError(key_id)

    def list(self) -> list[KeyRow]:
        with self._lock:
            return sorted(self._by_hash.values(), key=lambda r: r.created_at)

    def _save(self, row: KeyRow, old: KeyRow | None = None) -> None:
        self.store.save_key(row)
        with self._lock:
            if old is not None:
                self._by_hash.pop(old.secret_hash, None)
            self._by_hash[row.secret_hash] = row


def public_view(row: KeyRow) -> dict[str, Any]:
    """What the admin API shows of a key: everything but the hash."""
    return {
        "id": row.id,
        "prefix": row.prefix,
        "name": row.name,
        "team": row.team,
        "app": row.app,
        "allowed_models": list(row.allowed_models),
        "allowed_tools": list(_tools_of(row.metadata)),
        "guard_policy": row.guard_policy,
        "tags": list(row.tags),
        "expires_at": row.expires_at,
        "metadata": row.metadata,
        "limits": row.limits,
        "budgets": row.budgets,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "revoked_at": row.revoked_at,
    }


# A key's MCP tool patterns live in its metadata, so adding them needed no store migration.
TOOLS_METADATA = "allowed_tools"


def _tools_of(metadata: dict[str, Any]) -> tuple[str, ...]:
    tools = metadata.get(TOOLS_METADATA)
    return tuple(t for t in tools if isinstance(t, str)) if isinstance(tools, list) else ()


def _with_tools(metadata: dict[str, Any], tools: list[str] | None) -> dict[str, Any]:
    if tools is not None:
        metadata[TOOLS_METADATA] = list(tools)
    return metadata


def _user_of(metadata: dict[str, Any]) -> str | None:
    user = metadata.get("user")
    return user if isinstance(user, str) and user else None


def _identity_or_row(row: KeyRow) -> Identity | KeyRow:
    """A usable key's identity; a revoked or expired key's row as it is."""
    if row.revoked_at is not None or (row.expires_at and row.expires_at <= time.time()):
        return row
    return Identity(
        key_id=row.id,
        name=row.name,
        team=row.team,
        app=row.app,
        allowed_models=row.allowed_models,
        guard_policy=row.guard_policy,
        tags=row.tags,
        limits=row.limits,
        budgets=row.budgets,
        user=_user_of(row.metadata),
        allowed_tools=_tools_of(row.metadata),
    )
