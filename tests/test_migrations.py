"""One migration mechanism for every database: named, append-only, recorded with the time
each was applied; the same on SQLite and Postgres, for the usage store and the knowledge index."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from switchgear.knowledge.postgres_index import PostgresKnowledgeStore
from switchgear.knowledge.sqlite_index import SqliteKnowledgeStore
from switchgear.store.migrations import M001_TABLES
from switchgear.store.postgres import open_postgres_store
from switchgear.store.sqlite import open_sqlite_store

LEDGER = [
    "ledger.m001_tables",
    "ledger.m002_gateway_secrets",
    "ledger.m003_stored_responses",
    "ledger.m004_prompt_templates",
    "ledger.m005_stored_content",
    "ledger.m006_batches",
    "ledger.m007_response_cache",
    "ledger.m008_console_users",
]
KNOWLEDGE = [
    "knowledge.m001_tables",
    "knowledge.m002_keywords",
    "knowledge.m003_versions",
    "knowledge.m004_connectors",
]


def recorded(rows: list[tuple[str, float]]) -> list[str]:
    assert all(applied_at > 1.7e9 for _, applied_at in rows)  # a real time, in seconds
    return sorted(name for name, _ in rows)


def test_sqlite_databases_record_each_migration_once(tmp_path: Path) -> None:
    for _ in range(2):  # reopening applies nothing twice
        open_sqlite_store(tmp_path / "switchgear.db").close()
        SqliteKnowledgeStore(tmp_path / "knowledge.db").close()
    with sqlite3.connect(tmp_path / "switchgear.db") as db:
        assert recorded(db.execute("SELECT * FROM schema_migrations").fetchall()) == LEDGER
    with sqlite3.connect(tmp_path / "knowledge.db") as db:
        assert recorded(db.execute("SELECT * FROM schema_migrations").fetchall()) == KNOWLEDGE


def test_postgres_holds_both_sets_in_one_table(postgres_uri: str) -> None:
    schema = f"migr_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_uri, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    dsn = make_conninfo(postgres_uri, options=f"-c search_path={schema},public")
    for _ in range(2):
        open_postgres_store(dsn).close()
        PostgresKnowledgeStore(dsn).close()
    with psycopg.connect(dsn) as db:
        rows = db.execute("SELECT name, applied_at FROM schema_migrations").fetchall()
    assert recorded(rows) == sorted(KNOWLEDGE + LEDGER)


def test_a_database_from_before_named_migrations_is_adopted(tmp_path: Path) -> None:
    """A file that only knew `schema_version = 1` keeps its data and gets the new steps."""
    path = tmp_path / "switchgear.db"
    with sqlite3.connect(path) as db:
        for statement in M001_TABLES:
            db.execute(statement)
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version VALUES (1)")
        db.execute(
            "INSERT INTO api_keys VALUES ('k1', 'sg-', 'h', 'n', NULL, NULL, '[]', NULL, '[]',"
            " NULL, '{}', '{}', '{}', 0, 0, NULL)"
        )
    store = open_sqlite_store(path)
    assert len(store.secret("probe")) == 64  # m002 ran
    store.close()
    with sqlite3.connect(path) as db:
        assert recorded(db.execute("SELECT * FROM schema_migrations").fetchall()) == LEDGER
        assert db.execute("SELECT id FROM api_keys").fetchall() == [("k1",)]
