"""The knowledge store interface. Ingest and retrieval depend on this protocol only; SQLite
(sqlite-vec + FTS5, one file) implements it now, Postgres (pgvector + tsvector) can later.

Contract every backend keeps:
- `replace_document`, `set_acl`, `delete_document` are atomic: after an error nothing of the
  new version is visible and the old version (if any) is intact.
- `search_text` and `search_vector` apply the reader's permissions inside the query that ranks,
  so an unreadable chunk is never among the `limit` results (no post-filtering shortfall) and
  never leaves the database.
- Chunk ids are never reused, so a citation of a deleted chunk can never resolve to new text.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from switchgear.knowledge.acl import Acl, Reader
from switchgear.knowledge.embedder import Vectors
from switchgear.knowledge.records import ChunkDraft, Passage


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


def passage_of(row: Sequence[Any]) -> Passage:
    """A `passages` query row: id, collection, source, title, section, page, text."""
    return Passage(
        chunk_id=int(row[0]),
        collection=row[1],
        source=row[2],
        title=row[3],
        section=row[4],
        page=row[5],
        text=row[6],
        score=0.0,
    )


def document_info_of(row: Sequence[Any]) -> DocumentInfo:
    """A `documents` query row: source, title, format, chunks, pages, ACL key, hash, time."""
    return DocumentInfo(row[0], row[1], row[2], row[3], row[4], row[5].split(","), row[6], row[7])


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
        self, collection: str, terms: Sequence[str], reader: Reader, limit: int
    ) -> list[Hit]: ...

    def search_vector(
        self, collection: str, vector: Vectors, reader: Reader, limit: int
    ) -> list[Hit]: ...

    def passages(self, chunk_ids: Sequence[int], reader: Reader) -> dict[int, Passage]:
        """The readable chunks among `chunk_ids` (score 0; the retriever sets scores)."""
        ...

    def chunk_count(self) -> int:
        """All chunks in the store (every collection): for stats and benchmarks."""
        ...

    def close(self) -> None: ...
