"""The knowledge store on Postgres: pgvector for vectors, `tsvector` for full text. Same
protocol and same tests as the SQLite store (`tests/knowledge` runs both).

- Full text: a weighted `tsvector` (text A, section B, title C) with a GIN index, ranked by
  `ts_rank_cd` (Postgres has no BM25; z-score fusion needs no calibrated scale). It holds the
  terms of `knowledge/keywords.py` (as SQLite's FTS5 does), computed at insert time and put
  through the `simple` configuration, which only lower-cases: the same terms on both stores.
- Vectors: `vector(N)` with an HNSW cosine index.
- Permissions: both ranking queries carry `acl_id IN (SELECT acl_id FROM
  knowledge_acl_members WHERE principal IN (reader's principals))` in their WHERE clause,
  so an unreadable row is never a result (nor a superseded version's: `version_sql`). With
  the HNSW index, pgvector before 0.8 filters the `hnsw.ef_search` candidates the index
  yields, so a reader who may see little can get fewer than k rows (never another reader's);
  0.8+ has iterative scans, switched on here.

Tables are prefixed `knowledge_` so they can share a database with other stores.
Needs `psycopg` (3.x); the connection string is `knowledge.postgres_dsn`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from switchgear.knowledge.acl import Acl, Reader
from switchgear.knowledge.embedder import Vectors
from switchgear.knowledge.postgres_schema import MIGRATIONS, TSV, keyword_texts
from switchgear.knowledge.records import Passage
from switchgear.knowledge.store import (
    CollectionInfo,
    DocumentInfo,
    DocumentState,
    DocumentWrite,
    Hit,
    StoreError,
    checked_vectors,
    document_info_of,
    document_row,
    passage_of,
    readable_acl_ids,
)
from switchgear.knowledge.version_sql import (
    VersionTables,
    group_of,
    record_versions,
    remark_chunks,
    reorder,
)
from switchgear.knowledge.versions import Versions
from switchgear.store.migrate import apply_migrations

_VERSIONS = VersionTables(
    "%s", "knowledge_documents", "knowledge_chunks", acl_sets="knowledge_acl_sets"
)
_COLLECTION = "(SELECT id FROM knowledge_collections WHERE name = %s)"


def _any_of(terms: Sequence[str]) -> str:
    """A tsquery matching any of the terms, each quoted (a quote or backslash escaped)."""
    quoted = ("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)
    return " | ".join(quoted)


def _readable(reader: Reader, versions: Versions) -> tuple[str, tuple[str, ...]]:
    return readable_acl_ids(reader, versions, "%s", "knowledge_acl_sets", "knowledge_acl_members")


def _vector_text(vector: Vectors) -> str:
    return "[" + ",".join(f"{x:.8g}" for x in np.asarray(vector, dtype=np.float32)) + "]"


class PostgresKnowledgeStore:
    def __init__(self, dsn: str) -> None:
        import psycopg

        self.dsn = dsn
        self._db = psycopg.connect(dsn, autocommit=True)
        self._lock = threading.RLock()
        self._dimensions: int | None = None
        self._iterative_scan = False
        apply_migrations(self._in_transaction, MIGRATIONS, "postgres")
        with self._write() as db:
            row = db.execute("SELECT value FROM knowledge_meta WHERE key = 'dimensions'")
            found = row.fetchone()
            if found is not None:
                self._dimensions = int(found[0])
            version = db.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            major_minor = tuple(int(p) for p in str(version.fetchone()[0]).split(".")[:2])
            self._iterative_scan = major_minor >= (0, 8)

    def _in_transaction(self, work: Callable[[Any], Any]) -> Any:
        with self._write() as db, db.cursor() as cursor:
            return work(cursor)

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self._lock, self._db.transaction():
            yield self._db

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            rows: list[Any] = self._db.execute(sql, params).fetchall()
            return rows

    def bind_model(self, model_id: str, dimensions: int) -> None:
        with self._write() as db:
            db.execute("SELECT pg_advisory_xact_lock(7263541)")
            rows = dict(db.execute("SELECT key, value FROM knowledge_meta").fetchall())
            if "model" in rows and (rows["model"], int(rows["dimensions"])) != (
                model_id,
                dimensions,
            ):
                raise StoreError(
                    f"the knowledge tables were built with the embedding model {rows['model']} "
                    f"({rows['dimensions']} dimensions), not {model_id}"
                )
            if "model" not in rows:
                db.execute(
                    "INSERT INTO knowledge_meta VALUES ('model', %s), ('dimensions', %s)",
                    (model_id, str(dimensions)),
                )
                db.execute(
                    f"ALTER TABLE knowledge_chunks ADD COLUMN embedding vector({dimensions})"
                )
                db.execute(
                    "CREATE INDEX knowledge_chunks_embedding ON knowledge_chunks "
                    "USING hnsw (embedding vector_cosine_ops)"
                )
        self._dimensions = dimensions

    def ensure_collection(self, name: str, description: str = "") -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO knowledge_collections (name, description, created_at) "
                "VALUES (%s, %s, %s) ON CONFLICT (name) DO UPDATE SET description = "
                "excluded.description WHERE excluded.description != ''",
                (name, description, time.time()),
            )

    def has_collection(self, name: str) -> bool:
        return bool(self._read("SELECT 1 FROM knowledge_collections WHERE name = %s", (name,)))

    def collections(self) -> list[CollectionInfo]:
        rows = self._read(
            """SELECT c.name, c.description, COUNT(d.id), COALESCE(SUM(d.chunks), 0)
            FROM knowledge_collections c LEFT JOIN knowledge_documents d
            ON d.collection_id = c.id GROUP BY c.id ORDER BY c.name"""
        )
        return [CollectionInfo(r[0], r[1], int(r[2]), int(r[3])) for r in rows]

    def delete_collection(self, name: str) -> bool:
        with self._write() as db:
            row = db.execute(
                "SELECT id FROM knowledge_collections WHERE name = %s", (name,)
            ).fetchone()
            if row is None:
                return False
            db.execute("DELETE FROM knowledge_chunks WHERE collection_id = %s", row)
            db.execute("DELETE FROM knowledge_documents WHERE collection_id = %s", row)
            db.execute("DELETE FROM knowledge_collections WHERE id = %s", row)
            return True

    def documents(self, collection: str) -> list[DocumentInfo]:
        rows = self._read(
            f"""SELECT d.source, d.title, d.format, d.chunks, d.pages, a.key, d.content_hash,
                d.ingested_at, d.version_group, d.effective_date, d.superseded_by
            FROM knowledge_documents d
            JOIN knowledge_acl_sets a ON a.id = d.acl_id
            WHERE d.collection_id = {_COLLECTION} ORDER BY d.source""",
            (collection,),
        )
        return [document_info_of(r) for r in rows]

    def document_state(self, collection: str, source: str) -> DocumentState | None:
        rows = self._read(
            f"""SELECT d.content_hash, d.fingerprint, a.key, d.chunks FROM knowledge_documents d
            JOIN knowledge_acl_sets a ON a.id = d.acl_id
            WHERE d.collection_id = {_COLLECTION} AND d.source = %s""",
            (collection, source),
        )
        return DocumentState(*rows[0]) if rows else None

    def sources(self, collection: str, prefix: str = "") -> list[str]:
        rows = self._read(
            f"""SELECT source FROM knowledge_documents WHERE collection_id = {_COLLECTION}
            AND left(source, %s) = %s ORDER BY source""",
            (collection, len(prefix), prefix),
        )
        return [r[0] for r in rows]

    def replace_document(self, document: DocumentWrite) -> None:
        vectors = checked_vectors(document, self._dimensions)
        with self._write() as db:
            row = db.execute(
                "SELECT id FROM knowledge_collections WHERE name = %s", (document.collection,)
            ).fetchone()
            if row is None:
                raise StoreError(f"no collection `{document.collection}`")
            cid = row[0]
            acl_id = self._acl_id(db, document.acl)
            old = db.execute(
                "SELECT id FROM knowledge_documents WHERE collection_id = %s AND source = %s",
                (cid, document.source),
            ).fetchone()
            old_group = group_of(db, _VERSIONS, old[0])[1] if old is not None else None
            if old is not None:
                db.execute("DELETE FROM knowledge_chunks WHERE document_id = %s", old)
                db.execute("DELETE FROM knowledge_documents WHERE id = %s", old)
            doc_id = db.execute(
                """INSERT INTO knowledge_documents (collection_id, source, title, format,
                    content_hash, fingerprint, acl_id, pages, size_bytes, chunks, ingested_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                document_row(document, cid, acl_id),
            ).fetchone()[0]
            with db.cursor() as cursor:
                cursor.executemany(
                    f"""INSERT INTO knowledge_chunks (document_id, collection_id, acl_id, ordinal,
                        section, page, title, text, embedding, tsv)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::vector, {TSV})""",
                    [
                        (
                            doc_id,
                            cid,
                            acl_id,
                            chunk.ordinal,
                            chunk.section,
                            chunk.page,
                            document.title,
                            chunk.text,
                            _vector_text(vector),
                            *keyword_texts(document.title, chunk.section, chunk.text),
                        )
                        for chunk, vector in zip(document.chunks, vectors, strict=True)
                    ],
                )
            record_versions(db, _VERSIONS, doc_id, document.source, document.version, old_group)

    def set_acl(self, collection: str, source: str, acl: Acl) -> bool:
        with self._write() as db:
            row = self._document_id(db, collection, source)
            if row is None:
                return False
            acl_id = self._acl_id(db, acl)
            db.execute("UPDATE knowledge_documents SET acl_id = %s WHERE id = %s", (acl_id, row[0]))
            db.execute(
                "UPDATE knowledge_chunks SET acl_id = %s WHERE document_id = %s", (acl_id, row[0])
            )
            remark_chunks(db, _VERSIONS, row[0])
            return True

    def delete_document(self, collection: str, source: str) -> bool:
        with self._write() as db:
            row = self._document_id(db, collection, source)
            if row is None:
                return False
            collection_id, group = group_of(db, _VERSIONS, row[0])
            db.execute("DELETE FROM knowledge_chunks WHERE document_id = %s", row)
            db.execute("DELETE FROM knowledge_documents WHERE id = %s", row)
            reorder(db, _VERSIONS, collection_id, group)
            return True

    def search_text(
        self,
        collection: str,
        terms: Sequence[str],
        reader: Reader,
        limit: int,
        versions: Versions = "current",
    ) -> list[Hit]:
        if not terms or limit < 1:
            return []
        allowed, readable = _readable(reader, versions)
        rows = self._read(
            f"""SELECT c.id, ts_rank_cd(c.tsv, q, 32) AS score
            FROM knowledge_chunks c, to_tsquery('simple', %s) q
            WHERE c.tsv @@ q AND c.collection_id = {_COLLECTION} AND c.acl_id IN {allowed}
            ORDER BY score DESC, c.id LIMIT %s""",
            (_any_of(terms), collection, *readable, limit),
        )
        return [Hit(int(r[0]), rank, float(r[1])) for rank, r in enumerate(rows, start=1)]

    def search_vector(
        self,
        collection: str,
        vector: Vectors,
        reader: Reader,
        limit: int,
        versions: Versions = "current",
    ) -> list[Hit]:
        if self._dimensions is None or limit < 1:
            return []
        allowed, readable = _readable(reader, versions)
        literal = _vector_text(np.asarray(vector).reshape(-1))
        sql = f"""SELECT id, 1 - (embedding <=> %s::vector) FROM knowledge_chunks
            WHERE collection_id = {_COLLECTION} AND acl_id IN {allowed}
            ORDER BY embedding <=> %s::vector LIMIT %s"""
        params = (literal, collection, *readable, literal, limit)
        with self._lock, self._db.transaction():
            self._db.execute(f"SET LOCAL hnsw.ef_search = {max(40, min(limit * 4, 1000))}")
            if self._iterative_scan:
                self._db.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            rows = self._db.execute(sql, params).fetchall()
        return [Hit(int(r[0]), rank, float(r[1])) for rank, r in enumerate(rows, start=1)]

    def passages(self, chunk_ids: Sequence[int], reader: Reader) -> dict[int, Passage]:
        if not chunk_ids:
            return {}
        allowed, readable = _readable(reader, "all")
        rows = self._read(
            f"""SELECT c.id, col.name, d.source, d.title, c.section, c.page, c.text,
                d.effective_date, d.superseded_by, d.version_group
            FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id
            JOIN knowledge_collections col ON col.id = c.collection_id
            WHERE c.id = ANY (%s) AND c.acl_id IN {allowed}""",
            (list(chunk_ids), *readable),
        )
        return {int(r[0]): passage_of(r) for r in rows}

    def chunk_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM knowledge_chunks")[0][0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _document_id(self, db: Any, collection: str, source: str) -> tuple[int] | None:
        found: tuple[int] | None = db.execute(
            f"SELECT id FROM knowledge_documents WHERE collection_id = {_COLLECTION} "
            "AND source = %s",
            (collection, source),
        ).fetchone()
        return found

    def _acl_id(self, db: Any, acl: Acl) -> int:
        key = acl.key()
        db.execute(
            "INSERT INTO knowledge_acl_sets (key) VALUES (%s) ON CONFLICT (key) DO NOTHING", (key,)
        )
        acl_id = int(
            db.execute("SELECT id FROM knowledge_acl_sets WHERE key = %s", (key,)).fetchone()[0]
        )
        with db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO knowledge_acl_members (principal, acl_id) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING",
                [(principal, acl_id) for principal in acl.entries()],
            )
        return acl_id
