"""The connectors' tables (`knowledge.m004_connectors`), the same SQL on SQLite and Postgres:
what each connector last synced per document, and how its last run went."""

from __future__ import annotations

CONNECTOR_TABLES = (
    # One row per document a connector put in the index: the version token it had at the
    # source and the ACL it was given, so the next sync knows what changed.
    """CREATE TABLE knowledge_connector_documents (
        connector TEXT NOT NULL, source TEXT NOT NULL, collection TEXT NOT NULL,
        version TEXT NOT NULL, acl_key TEXT NOT NULL,
        PRIMARY KEY (connector, source))""",
    """CREATE TABLE knowledge_connector_status (
        connector TEXT PRIMARY KEY, collection TEXT NOT NULL,
        started_at DOUBLE PRECISION, finished_at DOUBLE PRECISION,
        added INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,
        acl_updated INTEGER NOT NULL DEFAULT 0, unchanged INTEGER NOT NULL DEFAULT 0,
        removed INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
        chunks_embedded INTEGER NOT NULL DEFAULT 0, error TEXT,
        last_success_at DOUBLE PRECISION)""",
)
