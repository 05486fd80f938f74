"""Every version of every template, kept in the store: the config's templates at each start
(a changed text becomes the next version) and those put through the admin API. Each new
version is written together with its audit entry, in one transaction."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from switchgear.store.base import AdminEvent
from switchgear.store.sql import SqlStore
from switchgear.templates.config import TemplateConfig

_encode = msgspec.json.encode
_LOCK_KEY = 7312  # pg_advisory_xact_lock: one writer of versions at a time across replicas
# A request naming a version this replica has not seen reloads the table, at most this often.
_RELOAD_EVERY_S = 1.0


class VersionConflict(ValueError):
    """A version number that is taken, or lower than the latest."""


@dataclass(frozen=True, slots=True)
class TemplateVersion:
    name: str
    version: int
    created_at: float
    source: str  # "config" (read at a start) or "admin" (PUT /admin/templates/{name})
    digest: str
    template: TemplateConfig

    @property
    def label(self) -> str:
        """How the ledger names it."""
        return f"{self.name}@{self.version}"

    def as_dict(self) -> dict[str, Any]:
        return {
            **msgspec.to_builtins(self.template),
            "name": self.name,
            "version": self.version,
            "created_at": self.created_at,
            "source": self.source,
            "digest": self.digest,
        }


def content_digest(template: TemplateConfig) -> str:
    """What makes two versions the same: every field but the version number."""
    content = msgspec.to_builtins(msgspec.structs.replace(template, version=None))
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


class TemplateBook:
    """The stored versions, cached in memory; `latest` is the highest version number."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self._versions: dict[str, dict[int, TemplateVersion]] = {}
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self.reload()

    def reload(self) -> None:
        rows = self.store.transaction(lambda cursor: _read(self.store, cursor, None))
        versions: dict[str, dict[int, TemplateVersion]] = {}
        for row in rows:
            versions.setdefault(row.name, {})[row.version] = row
        with self._lock:
            self._versions = versions
            self._loaded_at = time.monotonic()

    def reload_if_stale(self) -> None:
        if time.monotonic() - self._loaded_at >= _RELOAD_EVERY_S:
            self.reload()

    def find(self, name: str, version: int | None = None) -> TemplateVersion | None:
        with self._lock:
            versions = self._versions.get(name)
        if not versions:
            return None
        return versions.get(max(versions) if version is None else version)

    def versions_of(self, name: str) -> list[int]:
        with self._lock:
            return sorted(self._versions.get(name, {}))

    def listing(self) -> list[TemplateVersion]:
        with self._lock:
            return [
                row
                for name in sorted(self._versions)
                for _, row in sorted(self._versions[name].items())
            ]

    def sync_config(self, templates: Mapping[str, TemplateConfig]) -> list[TemplateVersion]:
        """Stores each config template whose text is new as the next version (or the number
        its `version` gives); returns the versions written."""
        created: list[TemplateVersion] = []

        def work(cursor: Any) -> list[AdminEvent]:
            self._lock_writers(cursor)
            events = []
            for name, template in templates.items():
                stored = _read(self.store, cursor, name)
                number = _config_version(name, template, stored)
                if number is not None:
                    row = self._insert(cursor, name, number, "config", template)
                    events.append(_event(row, "config", stored))
                    created.append(row)
            return events

        self.store.write_audited(work)
        self.reload()
        return created

    def put(self, name: str, template: TemplateConfig) -> tuple[TemplateVersion, bool]:
        """A new version from the admin API, unless its content is the latest's already:
        (the version in force, whether it was created now)."""
        outcome: list[tuple[TemplateVersion, bool]] = []

        def work(cursor: Any) -> list[AdminEvent]:
            self._lock_writers(cursor)
            stored = _read(self.store, cursor, name)
            latest = stored[-1] if stored else None
            unchanged = latest is not None and latest.digest == content_digest(template)
            if latest is not None and unchanged and template.version in (None, latest.version):
                outcome.append((latest, False))
                return []
            number = template.version or (latest.version + 1 if latest else 1)
            if latest is not None and number <= latest.version:
                raise VersionConflict(
                    f"Version {number} of `{name}` is not above the latest, {latest.version}."
                )
            row = self._insert(cursor, name, number, "admin", template)
            outcome.append((row, True))
            return [_event(row, "admin", stored)]

        self.store.write_audited(work)
        self.reload()
        return outcome[0]

    def _lock_writers(self, cursor: Any) -> None:
        if self.store.dialect.name == "postgres":  # SQLite's BEGIN IMMEDIATE already is one
            cursor.execute(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")

    def _insert(
        self, cursor: Any, name: str, number: int, source: str, template: TemplateConfig
    ) -> TemplateVersion:
        content = msgspec.structs.replace(template, version=number)
        row = TemplateVersion(name, number, time.time(), source, content_digest(content), content)
        cursor.execute(
            self.store.sql(
                "INSERT INTO prompt_templates (name, version, created_at, source, digest, "
                "content) VALUES (?, ?, ?, ?, ?, ?)"
            ),
            (name, number, row.created_at, source, row.digest, _encode(content).decode()),
        )
        return row


def _config_version(
    name: str, template: TemplateConfig, stored: Sequence[TemplateVersion]
) -> int | None:
    """The version number the config's text is to be stored as; None when it is stored."""
    digest = content_digest(template)
    by_number = {row.version: row for row in stored}
    latest = stored[-1].version if stored else 0
    if template.version is not None:
        same = by_number.get(template.version)
        if same is not None:
            if same.digest != digest:
                raise VersionConflict(
                    f"templates.{name}.version: version {template.version} is stored with "
                    "other content; give the changed text a new version number (or drop "
                    "`version` to number it automatically)"
                )
            return None
        if template.version < latest:
            raise VersionConflict(
                f"templates.{name}.version: {template.version} is below the latest stored "
                f"version, {latest}"
            )
        return template.version
    from_config = [row for row in stored if row.source == "config"]
    if stored and digest in (stored[-1].digest, from_config[-1].digest if from_config else None):
        return None  # unchanged since the last start (an admin PUT since then stays in force)
    return latest + 1


def _read(store: SqlStore, cursor: Any, name: str | None) -> list[TemplateVersion]:
    query = "SELECT name, version, created_at, source, digest, content FROM prompt_templates"
    if name is None:
        cursor.execute(query + " ORDER BY name, version")
    else:
        cursor.execute(store.sql(query + " WHERE name = ? ORDER BY version"), (name,))
    return [
        TemplateVersion(
            str(r[0]),
            int(r[1]),
            float(r[2]),
            str(r[3]),
            str(r[4]),
            msgspec.json.decode(r[5], type=TemplateConfig),
        )
        for r in cursor.fetchall()
    ]


def _event(row: TemplateVersion, actor: str, before: Sequence[TemplateVersion]) -> AdminEvent:
    detail = {
        "name": row.name,
        "version": row.version,
        "source": row.source,
        "digest": row.digest,
        "previous": before[-1].version if before else None,
    }
    return AdminEvent(row.created_at, actor, "templates.version", row.label, detail)
