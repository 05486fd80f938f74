"""Console users and their sessions, kept in the gateway's own store.

Passwords: scrypt (a memory-hard KDF, in the standard library) with a per-user salt. Session
ids: random, sent only in the cookie, stored as their SHA-256 so a copy of the database signs
nobody in. Each session carries its own CSRF token. Failed sign-ins are counted per name and
address; the sixth within a minute is refused without checking the password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from switchgear.store.sql import SqlStore

ROLES = ("admin", "viewer")
SESSION_SECONDS = 12 * 3600
# scrypt cost: n=2**14, r=8 (16 MiB, ~50 ms here): OWASP's minimum for scrypt.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}
MAX_FAILURES = 5
FAILURE_WINDOW_S = 60.0
ADMIN_KEY_USER = "admin-key"  # who a session signed in with the admin key is, in the audit log


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    name: str
    role: str
    csrf: str
    expires_at: float

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_password(password: str, salt: bytes) -> str:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT).hex()


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii", "replace")).hexdigest()


class ConsoleAccounts:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def add_user(self, name: str, password: str, role: str) -> bool:
        """Creates or replaces a user; True when the name was new."""
        salt = secrets.token_bytes(16)
        digest = hash_password(password, salt)

        def run(cursor: Any) -> bool:
            cursor.execute(self.store.sql("SELECT 1 FROM console_users WHERE name = ?"), (name,))
            existed = cursor.fetchone() is not None
            cursor.execute(self.store.sql("DELETE FROM console_users WHERE name = ?"), (name,))
            cursor.execute(
                self.store.sql("INSERT INTO console_users VALUES (?, ?, ?, ?, ?)"),
                (name, role, salt.hex(), digest, time.time()),
            )
            # A changed password or role ends that user's sessions.
            cursor.execute(self.store.sql("DELETE FROM console_sessions WHERE name = ?"), (name,))
            return not existed

        return bool(self.store.transaction(run))

    def list_users(self) -> list[tuple[str, str, float]]:
        def run(cursor: Any) -> list[tuple[str, str, float]]:
            cursor.execute("SELECT name, role, created_at FROM console_users ORDER BY name")
            return [(str(r[0]), str(r[1]), float(r[2])) for r in cursor.fetchall()]

        result: list[tuple[str, str, float]] = self.store.transaction(run)
        return result

    def check_password(self, name: str, password: str) -> str | None:
        """The user's role when the password is right; None otherwise (same cost either way)."""

        def run(cursor: Any) -> Any:
            cursor.execute(
                self.store.sql(
                    "SELECT role, salt, password_hash FROM console_users WHERE name = ?"
                ),
                (name,),
            )
            return cursor.fetchone()

        row = self.store.transaction(run)
        salt = bytes.fromhex(row[1]) if row else b"\0" * 16
        digest = hash_password(password, salt)  # also for unknown names: no timing oracle
        if row is None or not hmac.compare_digest(digest, str(row[2])):
            return None
        return str(row[0])

    def open_session(self, name: str, role: str) -> tuple[str, ConsoleSession]:
        """A new session: its id (for the cookie only) and what it grants."""
        session_id = secrets.token_urlsafe(32)
        now = time.time()
        session = ConsoleSession(name, role, secrets.token_urlsafe(32), now + SESSION_SECONDS)

        def run(cursor: Any) -> None:
            cursor.execute(
                self.store.sql("DELETE FROM console_sessions WHERE expires_at < ?"), (now,)
            )
            cursor.execute(
                self.store.sql("INSERT INTO console_sessions VALUES (?, ?, ?, ?, ?, ?)"),
                (_digest(session_id), name, role, session.csrf, now, session.expires_at),
            )

        self.store.transaction(run)
        return session_id, session

    def session(self, session_id: str) -> ConsoleSession | None:
        def run(cursor: Any) -> Any:
            cursor.execute(
                self.store.sql(
                    "SELECT name, role, csrf, expires_at FROM console_sessions "
                    "WHERE id_hash = ? AND expires_at > ?"
                ),
                (_digest(session_id), time.time()),
            )
            return cursor.fetchone()

        row = self.store.transaction(run)
        return None if row is None else ConsoleSession(row[0], row[1], row[2], float(row[3]))

    def close_session(self, session_id: str) -> None:
        def run(cursor: Any) -> None:
            cursor.execute(
                self.store.sql("DELETE FROM console_sessions WHERE id_hash = ?"),
                (_digest(session_id),),
            )

        self.store.transaction(run)


class SignInLimiter:
    """Failed sign-ins per (name, address) in a sliding minute, in this process's memory."""

    def __init__(self, limit: int = MAX_FAILURES, window_s: float = FAILURE_WINDOW_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, who: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(who, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def blocked(self, name: str, address: str) -> bool:
        with self._lock:
            return len(self._recent((name, address), time.monotonic())) >= self.limit

    def failed(self, name: str, address: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._recent((name, address), now).append(now)
            if len(self._failures) > 10_000:  # a spray of names cannot grow this forever
                self._failures = {k: v for k, v in self._failures.items() if v}
