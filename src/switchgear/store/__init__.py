"""Persistence behind per-concern interfaces: SQLite by default, Postgres at scale."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from switchgear.store.sql import SqlStore


def open_store(database_url: str | None, data_dir: Path) -> SqlStore:
    """`postgresql://…` opens Postgres; anything else (or nothing) the SQLite file."""
    if database_url and database_url.startswith(("postgres://", "postgresql://")):
        from switchgear.store.postgres import open_postgres_store

        return open_postgres_store(database_url)
    from switchgear.store.sqlite import open_sqlite_store

    path = Path(database_url.removeprefix("sqlite:///")) if database_url else None
    return open_sqlite_store(path or data_dir / "switchgear.db")
