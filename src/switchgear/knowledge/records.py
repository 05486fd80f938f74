"""The data that moves through ingest and retrieval: parsed blocks, chunks, passages, citations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

BlockKind = Literal["heading", "paragraph", "table", "code"]


@dataclass(frozen=True, slots=True)
class Block:
    """One structural unit a reader found. Tables and code are kept whole by the chunker when
    they fit; `rows` holds a table's rows (the first is the header) so a large one can be split
    with its header repeated."""

    kind: BlockKind
    text: str
    level: int = 0
    page: int | None = None
    rows: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    title: str
    format: str
    blocks: list[Block]
    pages: int | None = None
    # Version metadata the file states about itself (Markdown/text YAML front matter).
    metadata: dict[str, str | list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChunkDraft:
    """A chunk before it is stored: the text a model will read plus where it came from."""

    ordinal: int
    text: str
    section: str | None
    page: int | None

    def embedding_text(self, title: str) -> str:
        """What the embedder and full-text index see: title and heading path give context."""
        head = f"{title}\n{self.section}" if self.section else title
        return f"{head}\n{self.text}"


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk the reader was allowed to see, with its fused score and ranks."""

    chunk_id: int
    collection: str
    source: str
    title: str
    section: str | None
    page: int | None
    text: str
    score: float
    bm25_rank: int | None = None
    vector_rank: int | None = None
    effective_date: str | None = None
    # The newer version's source when this document is superseded (`versions: all` only).
    superseded_by: str | None = None
    version_group: str | None = None


@dataclass(frozen=True, slots=True)
class Citation:
    """Source `number` as the prompt and the answer text call it: `[number]`."""

    number: int
    source: str
    title: str
    page: int | None
    section: str | None
    chunk_id: int
    score: float
    effective_date: str | None = None
    superseded_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Version fields only where known, so unversioned answers keep their old shape."""
        body: dict[str, Any] = {
            "index": self.number,
            "source": self.source,
            "title": self.title,
            "page": self.page,
            "section": self.section,
            "chunk_id": self.chunk_id,
            "score": round(self.score, 6),
        }
        if self.effective_date:
            body["effective_date"] = self.effective_date
        if self.superseded_by:
            body["superseded_by"] = self.superseded_by
        return body

    def label(self) -> str:
        """`travel/policy.pdf, p. 3, Meals, effective 2025-01-01`: how a person finds the
        passage again, and which version it is."""
        parts = [self.source]
        if self.page is not None:
            parts.append(f"p. {self.page}")
        if self.section:
            parts.append(self.section)
        if self.effective_date:
            parts.append(f"effective {self.effective_date}")
        if self.superseded_by:
            parts.append(f"superseded by {self.superseded_by}")
        return ", ".join(parts)


FileStatus = Literal["added", "updated", "unchanged", "acl_updated", "removed", "failed"]


@dataclass(frozen=True, slots=True)
class FileOutcome:
    source: str
    status: FileStatus
    chunks: int = 0
    pages: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status,
            "chunks": self.chunks,
            "pages": self.pages,
            "error": self.error,
        }


@dataclass(slots=True)
class IngestReport:
    """One line per file; a failed file never stops the rest of the batch."""

    collection: str
    files: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    chunks_embedded: int = 0
    # Chunks whose embedding text fills or passes the model's window (logged per file).
    truncated_chunks: int = 0

    def count(self, status: FileStatus) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def failed(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def pages(self) -> int:
        """Pages read: a PDF's page count, one per other file that was (re)indexed."""
        return sum(
            (f.pages or 1) for f in self.files if f.status in ("added", "updated") and f.chunks
        )

    def summary(self) -> str:
        parts = [
            f"{self.count(s)} {s.replace('_', ' ')}"
            for s in ("added", "updated", "acl_updated", "unchanged", "removed", "failed")
            if self.count(s)
        ]
        cut = f"; {self.truncated_chunks} over the model's window" if self.truncated_chunks else ""
        return (
            f"{self.collection}: {', '.join(parts) or 'nothing to do'}; "
            f"{self.chunks_embedded} chunks embedded in {self.seconds:.1f}s{cut}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "object": "knowledge.ingest_report",
            "collection": self.collection,
            "summary": self.summary(),
            "seconds": round(self.seconds, 3),
            "chunks_embedded": self.chunks_embedded,
            "truncated_chunks": self.truncated_chunks,
            "files": [f.to_dict() for f in self.files],
        }


@dataclass(frozen=True, slots=True)
class IngestProgress:
    """Passed to the progress callback after each file: enough to draw a progress bar."""

    done: int
    total: int
    source: str
    status: FileStatus
