"""Numbered, append-only schema migrations. Never edit one that has shipped; add the next."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def m001_usage(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE usage (
            request_id TEXT PRIMARY KEY,
            created_at REAL NOT NULL,
            endpoint TEXT NOT NULL,
            model TEXT NOT NULL,
            served_model TEXT,
            provider TEXT,
            stream INTEGER NOT NULL,
            status TEXT NOT NULL,
            http_status INTEGER NOT NULL,
            error_code TEXT,
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            latency_ms REAL NOT NULL,
            ttft_ms REAL,
            user TEXT
        )
        """
    )
    db.execute("CREATE INDEX usage_created_at ON usage (created_at)")


def m002_routing(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE usage ADD COLUMN route TEXT")
    db.execute("ALTER TABLE usage ADD COLUMN target TEXT")
    db.execute(
        """
        CREATE TABLE attempts (
            request_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            target TEXT NOT NULL,
            status TEXT NOT NULL,
            http_status INTEGER NOT NULL,
            error_code TEXT,
            latency_ms REAL NOT NULL,
            PRIMARY KEY (request_id, attempt)
        )
        """
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [m001_usage, m002_routing]


def migrate(db: sqlite3.Connection) -> int:
    """Applies pending migrations in one transaction each; returns the schema version."""
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    version = int(row[0] or 0)
    for number, migration in enumerate(MIGRATIONS, start=1):
        if number <= version:
            continue
        with db:
            migration(db)
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
        version = number
    return version
