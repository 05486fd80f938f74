"""The knowledge store interface. Ingest and retrieval depend on this protocol only; SQLite
(sqlite-vec + FTS5, one file) implements it now, Postgres (pgvector + tsvector) can later.

Contract every backend keeps:
- `replace_document`, `set_acl`, `delete_document` are atomic: after an error nothing of the
  new version is visible and the old version (if any) is intact.
- `search_text` and `search_vector` apply the reader's permissions inside the query that ranks,
  so an unreadable chunk is never among the `limit` results (no post-filtering shortfall) and
  never leaves the database. Superseded versions are left out the same way unless asked for.
- `replace_document` and `delete_document` keep version groups ordered (`version_sql`).
- Chunk ids are never reused, so a citation of a deleted chunk can never resolve to new text.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from switchgear.knowledge.acl import Acl, Reader
from switchgear.knowledge.embedder import Vectors
from switchgear.knowledge.records import ChunkDraft, Passage
from switchgear.knowledge.versions import VersionFacts, Versions


@dataclass(frozen=True, slots=True)
class DocumentState:
    content_hash: str
    fingerprint: str
    acl_key: str
    chunks: int


@dataclass(frozen=True, slots=True)
class DocumentWrite:
    collection: str
    source: str
    title: str
    format: str
    content_hash: str
    fingerprint: str
    acl: Acl
    pages: int | None
    size_bytes: int
    chunks: Sequence[ChunkDraft]
    vectors: Vectors
    version: VersionFacts = field(default_factory=VersionFacts)


@dataclass(frozen=True, slots=True)
class Hit:
    """A ranked chunk id from one retriever; `rank` starts at 1. Higher `score` is better."""

    chunk_id: int
    rank: int
    score: float


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    name: str
    description: str
    documents: int
    chunks: int


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    source: str
    title: str
    format: str
    chunks: int
    pages: int | None
    acl: list[str]
    content_hash: str
    ingested_at: float
    version_group: str | None = None
    effective_date: str | None = None
    superseded_by: str | None = None


def passage_of(row: Sequence[Any]) -> Passage:
    """A `passages` query row: id, collection, source, title, section, page, text, then the
    document's effective date, its successor's source and its version group."""
    return Passage(
        chunk_id=int(row[0]),
        collection=row[1],
        source=row[2],
        title=row[3],
        section=row[4],
        page=row[5],
        text=row[6],
        score=0.0,
        effective_date=row[7],
        superseded_by=row[8],
        version_group=row[9],
    )


def document_info_of(row: Sequence[Any]) -> DocumentInfo:
    """A `documents` query row: source, title, format, chunks, pages, ACL key, hash, time,
    version group, effective date, superseded by."""
    return DocumentInfo(
        row[0], row[1], row[2], row[3], row[4], row[5].split(","), row[6], row[7], *row[8:11]
    )


def readable_acl_ids(
    reader: Reader, versions: Versions, mark: str, sets: str, members: str
) -> tuple[str, tuple[str, ...]]:
    """The subquery of ACL ids `reader` may rank, and its parameters: the ids its principals
    hold (every id for the auditor scope), plus their negations (superseded documents' chunks,
    see `version_sql`) when `versions` is `all`."""
    params: tuple[str, ...] = ()
    if reader.auditor:
        column, rows = "id", f"FROM {sets}"
    else:
        params = reader.principals()
        marks = ", ".join(mark for _ in params)
        column, rows = "acl_id", f"FROM {members} WHERE principal IN ({marks})"
    if versions == "current":
        return f"(SELECT {column} {rows})", params
    return f"(SELECT {column} {rows} UNION ALL SELECT -{column} {rows})", (*params, *params)


class StoreError(RuntimeError):
    """The store cannot do what was asked (e.g. it was built with another embedding model)."""


def checked_vectors(document: DocumentWrite, dimensions: int | None) -> np.ndarray[Any, Any]:
    """The document's vectors as contiguous float32, one row per chunk, or a `StoreError`."""
    if dimensions is None:
        raise StoreError("bind_model must be called before documents are written")
    vectors = np.ascontiguousarray(document.vectors, dtype=np.float32)
    if vectors.shape != (len(document.chunks), dimensions):
        raise StoreError(
            f"{len(document.chunks)} chunks need {len(document.chunks)}x{dimensions} "
            f"vectors, got {'x'.join(map(str, vectors.shape))}"
        )
    return vectors


def document_row(document: DocumentWrite, collection_id: int, acl_id: int) -> tuple[Any, ...]:
    """Values for the documents table, in its column order (collection_id … ingested_at)."""
    return (
        collection_id,
        document.source,
        document.title,
        document.format,
        document.content_hash,
        document.fingerprint,
        acl_id,
        document.pages,
        document.size_bytes,
        len(document.chunks),
        time.time(),
    )


class KnowledgeStore(Protocol):
    def bind_model(self, model_id: str, dimensions: int) -> None:
        """Records the embedding model on first use; refuses a different one later."""
        ...

    def ensure_collection(self, name: str, description: str = "") -> None: ...

    def has_collection(self, name: str) -> bool: ...

    def collections(self) -> list[CollectionInfo]: ...

    def delete_collection(self, name: str) -> bool: ...

    def documents(self, collection: str) -> list[DocumentInfo]: ...

    def document_state(self, collection: str, source: str) -> DocumentState | None: ...

    def sources(self, collection: str, prefix: str = "") -> list[str]: ...

    def replace_document(self, document: DocumentWrite) -> None: ...

    def set_acl(self, collection: str, source: str, acl: Acl) -> bool: ...

    def delete_document(self, collection: str, source: str) -> bool: ...

    def search_text(
        self,
        collection: str,
        terms: Sequence[str],
        reader: Reader,
        limit: int,
        versions: Versions = "current",
    ) -> list[Hit]:
        """Superseded documents' chunks are ranked only with `versions="all"`."""
        ...

    def search_vector(
        self,
        collection: str,
        vector: Vectors,
        reader: Reader,
        limit: int,
        versions: Versions = "current",
    ) -> list[Hit]: ...

    def passages(self, chunk_ids: Sequence[int], reader: Reader) -> dict[int, Passage]:
        """The readable chunks among `chunk_ids`, current or superseded (score 0; the
        retriever sets scores)."""
        ...

    def chunk_count(self) -> int:
        """All chunks in the store (every collection): for stats and benchmarks."""
        ...

    def close(self) -> None: ...
