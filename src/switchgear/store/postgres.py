"""Postgres: the production store. Same schema and queries as SQLite (see `sql.py`)."""

from __future__ import annotations

from switchgear.store.sql import POSTGRES, SqlStore


def open_postgres_store(dsn: str) -> SqlStore:
    import psycopg

    return SqlStore(psycopg.connect(dsn), POSTGRES)
