"""The knowledge database's migrations on SQLite (applied by `store.migrate`). Never edit a
shipped one.

Layout: `documents` and `chunks` are ordinary tables; `chunks_fts` (FTS5, contentless, BM25)
and `chunk_vectors` (sqlite-vec `vec0`, cosine) are keyed by the chunk id. Permissions are
stored once per distinct ACL: `acl_sets` / `acl_members(principal, acl_id)`; each chunk and
each vector row carries its document's `acl_id`, which the retrieval queries filter on.
"""

from __future__ import annotations

from typing import Any

from switchgear.knowledge.connectors.schema import CONNECTOR_TABLES
from switchgear.knowledge.keywords import keyword_text
from switchgear.knowledge.version_sql import version_columns
from switchgear.store.migrate import (
    Migration,
    apply_migrations,
    sql_migration,
    sqlite_transaction,
)


def m001_knowledge(db: Any) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        """
        CREATE TABLE collections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL
        )
        """
    )
    db.execute("CREATE TABLE acl_sets (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE)")
    db.execute(
        """
        CREATE TABLE acl_members (
            principal TEXT NOT NULL,
            acl_id INTEGER NOT NULL REFERENCES acl_sets (id),
            PRIMARY KEY (principal, acl_id)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            collection_id INTEGER NOT NULL REFERENCES collections (id),
            source TEXT NOT NULL,
            title TEXT NOT NULL,
            format TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            acl_id INTEGER NOT NULL REFERENCES acl_sets (id),
            pages INTEGER,
            size_bytes INTEGER NOT NULL,
            chunks INTEGER NOT NULL,
            ingested_at REAL NOT NULL,
            UNIQUE (collection_id, source)
        )
        """
    )
    # AUTOINCREMENT: a deleted chunk's id is never handed to new text.
    db.execute(
        """
        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            document_id INTEGER NOT NULL REFERENCES documents (id),
            collection_id INTEGER NOT NULL,
            acl_id INTEGER NOT NULL,
            ordinal INTEGER NOT NULL,
            section TEXT,
            page INTEGER,
            text TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX chunks_document ON chunks (document_id)")
    # Covers the BM25 query's join (collection and ACL of each match) without reading the
    # chunk text: about a quarter off its latency at 100k chunks.
    db.execute("CREATE INDEX chunks_scope ON chunks (id, collection_id, acl_id)")
    db.execute(
        """
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            title, section, text,
            content='', contentless_delete=1,
            tokenize='porter unicode61 remove_diacritics 2'
        )
        """
    )


def m002_keywords(db: Any) -> None:
    """Full text over the terms of `knowledge/keywords.py` (CJK bigrams, Arabic letter forms
    unified, diacritics dropped), which FTS5 only splits at spaces (`ascii`); rebuilt from
    the stored chunks, so a database made before it keeps working."""
    db.execute("DROP TABLE chunks_fts")
    db.execute(
        """
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            title, section, text, content='', contentless_delete=1, tokenize='ascii'
        )
        """
    )
    rows = db.execute(
        "SELECT c.id, d.title, c.section, c.text FROM chunks c "
        "JOIN documents d ON d.id = c.document_id"
    ).fetchall()
    db.executemany(
        "INSERT INTO chunks_fts (rowid, title, section, text) VALUES (?, ?, ?, ?)",
        [
            (chunk_id, keyword_text(title), keyword_text(section or ""), keyword_text(text))
            for chunk_id, title, section, text in rows
        ],
    )


def create_vector_table(db: Any, dimensions: int) -> None:
    """Created when the embedding model is first bound, since vec0 fixes the dimension.

    `collection_id` is a partition key (a query scans its collection only); `acl_id` is a
    metadata column, so `acl_id IN (…)` is applied during the KNN scan, not after it.
    """
    db.execute(
        f"""
        CREATE VIRTUAL TABLE IF NOT EXISTS chunk_vectors USING vec0(
            chunk_id INTEGER PRIMARY KEY,
            collection_id INTEGER PARTITION KEY,
            acl_id INTEGER,
            embedding FLOAT[{int(dimensions)}] distance_metric=cosine
        )
        """
    )


MIGRATIONS = [
    Migration("knowledge.m001_tables", m001_knowledge),
    Migration("knowledge.m002_keywords", m002_keywords),
    sql_migration("knowledge.m003_versions", *version_columns("documents", "BLOB")),
    sql_migration("knowledge.m004_connectors", *CONNECTOR_TABLES),
]


def migrate(db: Any) -> list[str]:
    """Applies pending migrations (see `store.migrate`); returns the names applied now."""
    return apply_migrations(
        sqlite_transaction(db), MIGRATIONS, "sqlite", legacy_version_table="schema_version"
    )
