"""The embedded knowledge store: one SQLite file (WAL) with FTS5 for BM25 and sqlite-vec for
vectors. Permissions are filtered inside both ranking queries:

- BM25: the FTS5 `MATCH` joins `chunks` and keeps only rows whose `acl_id` is one the reader
  holds, before `ORDER BY bm25 LIMIT n`.
- Vectors: `acl_id` is a vec0 metadata column and `collection_id` a partition key, so
  `acl_id IN (SELECT acl_id FROM acl_members WHERE principal IN (…))` is evaluated during the
  KNN scan: the k nearest *readable* chunks come back, never a filtered remainder.

An ACL is stored once per distinct principal set, so the reader's allowed set is a handful of
ids however many documents there are (a rowid prefilter would have to list every chunk).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from switchgear.knowledge.acl import Acl, Reader
from switchgear.knowledge.embedder import Vectors
from switchgear.knowledge.keywords import keyword_text
from switchgear.knowledge.records import Passage
from switchgear.knowledge.sqlite_schema import create_vector_table, migrate
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
from switchgear.store.sqlite_connect import connect

# BM25 column weights: title, section (heading path), text.
_BM25 = "bm25(chunks_fts, 0.5, 1.0, 1.0)"
_MAX_K = 4096  # sqlite-vec's limit on k


_VERSIONS = VersionTables("?", "documents", "chunks", vectors="chunk_vectors")


def _allowed(reader: Reader, versions: Versions = "current") -> tuple[str, tuple[str, ...]]:
    return readable_acl_ids(reader, versions, "?", "acl_sets", "acl_members")


class SqliteKnowledgeStore:
    def __init__(self, path: Path | str) -> None:
        self.path = path
        self._db = connect(path, vectors=True)
        self._lock = threading.RLock()
        migrate(self._db)
        self._dimensions: int | None = None
        row = self._db.execute("SELECT value FROM meta WHERE key = 'dimensions'").fetchone()
        if row is not None:
            self._dimensions = int(row[0])

    @contextmanager
    def _write(self) -> Iterator[Any]:
        """One transaction under the lock: all of it lands or none of it does."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            rows: list[Any] = self._db.execute(sql, params).fetchall()
            return rows

    # -- model and collections -------------------------------------------------------------

    def bind_model(self, model_id: str, dimensions: int) -> None:
        with self._write() as db:
            rows = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if "model" in rows and (rows["model"], int(rows["dimensions"])) != (
                model_id,
                dimensions,
            ):
                raise StoreError(
                    f"{self.path} was built with the embedding model {rows['model']} "
                    f"({rows['dimensions']} dimensions), not {model_id}; use another db_path "
                    "or delete the file and ingest again"
                )
            if "model" not in rows:
                db.execute(
                    "INSERT INTO meta VALUES ('model', ?), ('dimensions', ?)",
                    (
                        model_id,
                        str(dimensions),
                    ),
                )
                create_vector_table(db, dimensions)
        self._dimensions = dimensions

    def ensure_collection(self, name: str, description: str = "") -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO collections (name, description, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET description = excluded.description "
                "WHERE excluded.description != ''",
                (name, description, time.time()),
            )

    def has_collection(self, name: str) -> bool:
        return bool(self._read("SELECT 1 FROM collections WHERE name = ?", (name,)))

    def collections(self) -> list[CollectionInfo]:
        rows = self._read(
            """
            SELECT c.name, c.description, COUNT(d.id), COALESCE(SUM(d.chunks), 0)
            FROM collections c LEFT JOIN documents d ON d.collection_id = c.id
            GROUP BY c.id ORDER BY c.name
            """
        )
        return [CollectionInfo(*row) for row in rows]

    def delete_collection(self, name: str) -> bool:
        with self._write() as db:
            cid = self._collection_id(db, name)
            if cid is None:
                return False
            for (doc_id,) in db.execute(
                "SELECT id FROM documents WHERE collection_id = ?", (cid,)
            ).fetchall():
                self._delete_chunks(db, doc_id)
            db.execute("DELETE FROM documents WHERE collection_id = ?", (cid,))
            db.execute("DELETE FROM collections WHERE id = ?", (cid,))
            return True

    # -- documents -------------------------------------------------------------------------

    def documents(self, collection: str) -> list[DocumentInfo]:
        rows = self._read(
            """
            SELECT d.source, d.title, d.format, d.chunks, d.pages, a.key, d.content_hash,
                   d.ingested_at, d.version_group, d.effective_date, d.superseded_by
            FROM documents d JOIN collections c ON c.id = d.collection_id
            JOIN acl_sets a ON a.id = d.acl_id
            WHERE c.name = ? ORDER BY d.source
            """,
            (collection,),
        )
        return [document_info_of(r) for r in rows]

    def document_state(self, collection: str, source: str) -> DocumentState | None:
        rows = self._read(
            """
            SELECT d.content_hash, d.fingerprint, a.key, d.chunks
            FROM documents d JOIN collections c ON c.id = d.collection_id
            JOIN acl_sets a ON a.id = d.acl_id
            WHERE c.name = ? AND d.source = ?
            """,
            (collection, source),
        )
        return DocumentState(*rows[0]) if rows else None

    def sources(self, collection: str, prefix: str = "") -> list[str]:
        rows = self._read(
            "SELECT d.source FROM documents d JOIN collections c ON c.id = d.collection_id "
            "WHERE c.name = ? AND substr(d.source, 1, ?) = ? ORDER BY d.source",
            (collection, len(prefix), prefix),
        )
        return [row[0] for row in rows]

    def replace_document(self, document: DocumentWrite) -> None:
        vectors = checked_vectors(document, self._dimensions)
        with self._write() as db:
            cid = self._collection_id(db, document.collection)
            if cid is None:
                raise StoreError(f"no collection `{document.collection}`")
            acl_id = self._acl_id(db, document.acl)
            old = db.execute(
                "SELECT id FROM documents WHERE collection_id = ? AND source = ?",
                (cid, document.source),
            ).fetchone()
            old_group = group_of(db, _VERSIONS, old[0])[1] if old is not None else None
            if old is not None:
                self._delete_chunks(db, old[0])
                db.execute("DELETE FROM documents WHERE id = ?", (old[0],))
            doc_id = db.execute(
                """
                INSERT INTO documents (collection_id, source, title, format, content_hash,
                    fingerprint, acl_id, pages, size_bytes, chunks, ingested_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                document_row(document, cid, acl_id),
            ).lastrowid
            title_terms = keyword_text(document.title)
            for chunk, vector in zip(document.chunks, vectors, strict=True):
                chunk_id = db.execute(
                    "INSERT INTO chunks (document_id, collection_id, acl_id, ordinal, section, "
                    "page, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (doc_id, cid, acl_id, chunk.ordinal, chunk.section, chunk.page, chunk.text),
                ).lastrowid
                db.execute(
                    "INSERT INTO chunks_fts (rowid, title, section, text) VALUES (?, ?, ?, ?)",
                    (
                        chunk_id,
                        title_terms,
                        keyword_text(chunk.section or ""),
                        keyword_text(chunk.text),
                    ),
                )
                db.execute(
                    "INSERT INTO chunk_vectors (chunk_id, collection_id, acl_id, embedding) "
                    "VALUES (?, ?, ?, ?)",
                    (chunk_id, cid, acl_id, vector.tobytes()),
                )
            record_versions(db, _VERSIONS, doc_id, document.source, document.version, old_group)

    def set_acl(self, collection: str, source: str, acl: Acl) -> bool:
        with self._write() as db:
            row = self._document_id(db, collection, source)
            if row is None:
                return False
            acl_id = self._acl_id(db, acl)
            db.execute("UPDATE documents SET acl_id = ? WHERE id = ?", (acl_id, row[0]))
            ids = [r[0] for r in db.execute("SELECT id FROM chunks WHERE document_id = ?", row)]
            db.execute("UPDATE chunks SET acl_id = ? WHERE document_id = ?", (acl_id, row[0]))
            db.executemany(
                "UPDATE chunk_vectors SET acl_id = ? WHERE chunk_id = ?",
                [(acl_id, chunk_id) for chunk_id in ids],
            )
            remark_chunks(db, _VERSIONS, row[0])
            return True

    def delete_document(self, collection: str, source: str) -> bool:
        with self._write() as db:
            row = self._document_id(db, collection, source)
            if row is None:
                return False
            collection_id, group = group_of(db, _VERSIONS, row[0])
            self._delete_chunks(db, row[0])
            db.execute("DELETE FROM documents WHERE id = ?", row)
            reorder(db, _VERSIONS, collection_id, group)
            return True

    # -- retrieval -------------------------------------------------------------------------

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
        match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        allowed, principals = _allowed(reader, versions)
        rows = self._read(
            f"""
            SELECT c.id, {_BM25} AS rank_score
            FROM chunks_fts JOIN chunks c INDEXED BY chunks_scope ON c.id = chunks_fts.rowid
            WHERE chunks_fts MATCH ?
              AND c.collection_id = (SELECT id FROM collections WHERE name = ?)
              AND c.acl_id IN {allowed}
            ORDER BY rank_score LIMIT ?
            """,
            (match, collection, *principals, limit),
        )
        # FTS5's bm25() is negative, lower is better; report it the usual way round.
        return [Hit(row[0], rank, -row[1]) for rank, row in enumerate(rows, start=1)]

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
        allowed, principals = _allowed(reader, versions)
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
        rows = self._read(
            f"""
            SELECT chunk_id, distance FROM chunk_vectors
            WHERE embedding MATCH ? AND k = ?
              AND collection_id = (SELECT id FROM collections WHERE name = ?)
              AND acl_id IN {allowed}
            ORDER BY distance
            """,
            (query.tobytes(), min(limit, _MAX_K), collection, *principals),
        )
        return [Hit(row[0], rank, 1.0 - row[1]) for rank, row in enumerate(rows, start=1)]

    def passages(self, chunk_ids: Sequence[int], reader: Reader) -> dict[int, Passage]:
        if not chunk_ids:
            return {}
        allowed, principals = _allowed(reader, "all")
        marks = ", ".join("?" for _ in chunk_ids)
        rows = self._read(
            f"""
            SELECT c.id, col.name, d.source, d.title, c.section, c.page, c.text,
                   d.effective_date, d.superseded_by, d.version_group
            FROM chunks c JOIN documents d ON d.id = c.document_id
            JOIN collections col ON col.id = c.collection_id
            WHERE c.id IN ({marks}) AND c.acl_id IN {allowed}
            """,
            (*chunk_ids, *principals),
        )
        return {int(row[0]): passage_of(row) for row in rows}

    def chunk_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM chunks")[0][0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- helpers (caller holds the write transaction) ----------------------------------------

    def _document_id(self, db: Any, collection: str, source: str) -> tuple[int] | None:
        found: tuple[int] | None = db.execute(
            "SELECT d.id FROM documents d JOIN collections c ON c.id = d.collection_id "
            "WHERE c.name = ? AND d.source = ?",
            (collection, source),
        ).fetchone()
        return found

    def _collection_id(self, db: Any, name: str) -> int | None:
        row = db.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else None

    def _acl_id(self, db: Any, acl: Acl) -> int:
        key = acl.key()
        row = db.execute("SELECT id FROM acl_sets WHERE key = ?", (key,)).fetchone()
        if row is not None:
            return int(row[0])
        acl_id = int(db.execute("INSERT INTO acl_sets (key) VALUES (?)", (key,)).lastrowid)
        db.executemany(
            "INSERT INTO acl_members (principal, acl_id) VALUES (?, ?)",
            [(principal, acl_id) for principal in acl.entries()],
        )
        return acl_id

    def _delete_chunks(self, db: Any, doc_id: int) -> None:
        ids = [
            (r[0],) for r in db.execute("SELECT id FROM chunks WHERE document_id = ?", (doc_id,))
        ]
        db.executemany("DELETE FROM chunks_fts WHERE rowid = ?", ids)
        if self._dimensions is not None:
            db.executemany("DELETE FROM chunk_vectors WHERE chunk_id = ?", ids)
        db.execute("DELETE FROM chunks WHERE document_id = ?", (doc_id,))
