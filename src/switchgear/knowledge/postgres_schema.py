"""The knowledge database's migrations on Postgres (applied when the store opens). Never edit a
shipped one. Same layout as on SQLite (sqlite_schema.py), tables prefixed `knowledge_`; full
text is a weighted `tsvector` of `knowledge/keywords.py` terms written at insert time (`TSV`).
"""

from __future__ import annotations

from typing import Any

from switchgear.knowledge.connectors.schema import CONNECTOR_TABLES
from switchgear.knowledge.keywords import keyword_text
from switchgear.knowledge.version_sql import version_columns
from switchgear.store.migrate import Migration, sql_migration

SCHEMA = [
    "CREATE EXTENSION IF NOT EXISTS vector",
    "CREATE TABLE IF NOT EXISTS knowledge_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS knowledge_collections (
        id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '', created_at DOUBLE PRECISION NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS knowledge_acl_sets (id BIGSERIAL PRIMARY KEY, key TEXT UNIQUE)",
    """CREATE TABLE IF NOT EXISTS knowledge_acl_members (
        principal TEXT NOT NULL, acl_id BIGINT NOT NULL REFERENCES knowledge_acl_sets (id),
        PRIMARY KEY (principal, acl_id))""",
    """CREATE TABLE IF NOT EXISTS knowledge_documents (
        id BIGSERIAL PRIMARY KEY,
        collection_id BIGINT NOT NULL REFERENCES knowledge_collections (id),
        source TEXT NOT NULL, title TEXT NOT NULL, format TEXT NOT NULL,
        content_hash TEXT NOT NULL, fingerprint TEXT NOT NULL,
        acl_id BIGINT NOT NULL REFERENCES knowledge_acl_sets (id),
        pages INTEGER, size_bytes BIGINT NOT NULL, chunks INTEGER NOT NULL,
        ingested_at DOUBLE PRECISION NOT NULL, UNIQUE (collection_id, source))""",
    """CREATE TABLE IF NOT EXISTS knowledge_chunks (
        id BIGSERIAL PRIMARY KEY,
        document_id BIGINT NOT NULL REFERENCES knowledge_documents (id),
        collection_id BIGINT NOT NULL, acl_id BIGINT NOT NULL, ordinal INTEGER NOT NULL,
        section TEXT, page INTEGER, title TEXT NOT NULL, text TEXT NOT NULL,
        tsv TSVECTOR GENERATED ALWAYS AS (
            setweight(to_tsvector('english', title), 'C')
            || setweight(to_tsvector('english', coalesce(section, '')), 'B')
            || setweight(to_tsvector('english', text), 'A')) STORED)""",
    "CREATE INDEX IF NOT EXISTS knowledge_chunks_document ON knowledge_chunks (document_id)",
    "CREATE INDEX IF NOT EXISTS knowledge_chunks_tsv ON knowledge_chunks USING gin (tsv)",
    """CREATE INDEX IF NOT EXISTS knowledge_chunks_scope
        ON knowledge_chunks (collection_id, acl_id)""",
]
# The weighted tsvector of one chunk from its keyword texts (title, section, text).
TSV = """setweight(to_tsvector('simple', %s), 'C') || setweight(to_tsvector('simple', %s), 'B')
    || setweight(to_tsvector('simple', %s), 'A')"""


def keyword_texts(title: str, section: str | None, text: str) -> tuple[str, str, str]:
    return keyword_text(title), keyword_text(section or ""), keyword_text(text)


def m002_keywords(cursor: Any) -> None:
    """`tsv` from `knowledge/keywords.py` terms instead of the English configuration: a
    generated column cannot call Python, so it becomes a plain column written at insert time,
    filled here for the rows already stored."""
    cursor.execute("ALTER TABLE knowledge_chunks DROP COLUMN tsv")
    cursor.execute("ALTER TABLE knowledge_chunks ADD COLUMN tsv TSVECTOR")
    cursor.execute("SELECT id, title, section, text FROM knowledge_chunks")
    rows = cursor.fetchall()
    cursor.executemany(
        f"UPDATE knowledge_chunks SET tsv = {TSV} WHERE id = %s",
        [
            (*keyword_texts(title, section, text), chunk_id)
            for chunk_id, title, section, text in rows
        ],
    )
    cursor.execute("CREATE INDEX knowledge_chunks_tsv ON knowledge_chunks USING gin (tsv)")


MIGRATIONS = [
    sql_migration("knowledge.m001_tables", *SCHEMA),
    Migration("knowledge.m002_keywords", m002_keywords),
    sql_migration("knowledge.m003_versions", *version_columns("knowledge_documents", "BYTEA")),
    sql_migration("knowledge.m004_connectors", *CONNECTOR_TABLES),
]
