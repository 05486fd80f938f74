"""Ingest: files -> blocks -> chunks -> vectors -> one transaction per file.

Idempotent by content hash: an unchanged file (same bytes, same chunking and model) is not
read, chunked or embedded again; only a changed ACL is applied. A changed file replaces all of
its chunks in one transaction. Files gone from an ingested folder are deleted from the index.
Each failure is one line of the report; the rest of the batch goes on, and a failed file
leaves nothing behind (its previous version, if any, stays as it was).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from switchgear.knowledge.acl import Acl
from switchgear.knowledge.chunker import CHUNKER_VERSION, chunk_document
from switchgear.knowledge.embedder import Embedder
from switchgear.knowledge.readers import ReadError, read_document
from switchgear.knowledge.records import FileOutcome, FileStatus, IngestProgress, IngestReport
from switchgear.knowledge.store import DocumentWrite, KnowledgeStore, StoreError
from switchgear.knowledge.versions import (
    MetadataError,
    merged_metadata,
    parse_metadata,
    version_facts,
)
from switchgear.knowledge.window import over_window, window_chars

log = logging.getLogger("switchgear.knowledge")
ProgressCallback = Callable[[IngestProgress], None]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file to ingest: a path on disk or uploaded bytes, under its name in the collection.
    `metadata`: version facts from the upload or a connector (`knowledge/versions.py` keys),
    over any the file's own front matter states."""

    source: str
    path: Path | None = None
    data: bytes | None = None
    metadata: Mapping[str, str | list[str]] | None = None

    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        assert self.path is not None
        return self.path.stat().st_size

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


@dataclass(frozen=True, slots=True)
class IngestSettings:
    # None: each document's chunks sized to the embedding model's window (knowledge/window.py).
    max_chars: int | None = None
    overlap_chars: int = 150
    merge_sections: bool = True
    max_file_bytes: int = 25 * 1024 * 1024
    max_chunks_per_file: int = 5000


@dataclass(frozen=True, slots=True)
class FileSelection:
    """What `select_files` found: the files, the folders whose missing files get removed
    (as source prefixes), and paths that could not be used at all."""

    files: list[SourceFile]
    folders: list[str]
    missing: list[FileOutcome]


def select_files(paths: Sequence[Path | str], root: Path | None = None) -> FileSelection:
    """Files under each path (folders recursively, hidden names skipped), each named relative
    to `root`, or by default to the path's parent: `./hr-policies` gives `hr-policies/a.pdf`."""
    files: list[SourceFile] = []
    folders: list[str] = []
    missing: list[FileOutcome] = []
    for raw in paths:
        path = Path(raw).expanduser()
        base = (root or path.resolve().parent).resolve()
        if path.is_dir():
            # With `root` at the folder itself, sources have no prefix: the collection mirrors
            # the folder, and documents from anywhere else in it count as missing.
            folder = _relative(path.resolve(), base)
            folders.append("" if folder in ("", ".") else f"{folder}/")
            files += [SourceFile(_relative(f.resolve(), base), path=f) for f in _walk(path)]
        elif path.is_file():
            files.append(SourceFile(_relative(path.resolve(), base), path=path))
        else:
            missing.append(FileOutcome(str(raw), "failed", error="no such file or directory"))
    return FileSelection(files, folders, missing)


def _walk(folder: Path) -> Iterator[Path]:
    for directory, subdirs, names in os.walk(folder):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith((".", "~$")):
                yield Path(directory) / name


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def fingerprint(settings: IngestSettings, embedder: Embedder) -> str:
    """Changes when chunking or the model changes, so unchanged files are re-indexed then."""
    key = (
        f"{CHUNKER_VERSION}|{settings.max_chars}|{settings.overlap_chars}|"
        f"{settings.merge_sections}|"
        f"{embedder.model_id}|{embedder.max_tokens}"
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def ingest_files(
    store: KnowledgeStore,
    embedder: Embedder,
    collection: str,
    files: Sequence[SourceFile],
    acl: Acl,
    settings: IngestSettings,
    *,
    remove_missing_under: Sequence[str] = (),
    progress: ProgressCallback | None = None,
    report: IngestReport | None = None,
) -> IngestReport:
    """Indexes `files` into `collection` (which must exist). Blocking; run it in a thread."""
    started = time.perf_counter()
    report = report or IngestReport(collection)
    print_ = fingerprint(settings, embedder)
    seen = {f.source for f in files}
    stale = sorted(
        {s for prefix in remove_missing_under for s in store.sources(collection, prefix)} - seen
    )
    total = len(files) + len(stale)
    for done, file in enumerate(files, start=1):
        outcome = _ingest_one(store, embedder, collection, file, acl, settings, print_, report)
        report.files.append(outcome)
        if progress is not None:
            progress(IngestProgress(done, total, file.source, outcome.status))
    for done, source in enumerate(stale, start=len(files) + 1):
        status: FileStatus = "removed"
        try:
            store.delete_document(collection, source)
            report.files.append(FileOutcome(source, status))
        except Exception as error:
            status = "failed"
            report.files.append(FileOutcome(source, status, error=f"cannot remove: {error}"))
        if progress is not None:
            progress(IngestProgress(done, total, source, status))
    report.seconds += time.perf_counter() - started
    return report


def _ingest_one(
    store: KnowledgeStore,
    embedder: Embedder,
    collection: str,
    file: SourceFile,
    acl: Acl,
    settings: IngestSettings,
    print_: str,
    report: IngestReport,
) -> FileOutcome:
    state = None
    try:
        size = file.size()
        if size > settings.max_file_bytes:
            return _failed(
                file,
                f"file is {_mib(size)}, over the {_mib(settings.max_file_bytes)} limit "
                "(knowledge.max_file_bytes)",
            )
        data = file.read()
        content_hash = hashlib.sha256(data).hexdigest()
        explicit = parse_metadata(file.metadata)
        if file.metadata:  # new metadata for the same bytes is a change to index
            print_ = f"{print_}:{explicit.digest()}"
        state = store.document_state(collection, file.source)
        if state is not None and (state.content_hash, state.fingerprint) == (content_hash, print_):
            if state.acl_key == acl.key():
                return FileOutcome(file.source, "unchanged", chunks=state.chunks)
            store.set_acl(collection, file.source, acl)
            return FileOutcome(file.source, "acl_updated", chunks=state.chunks)
        document = read_document(data, file.source)
        metadata = parse_metadata(merged_metadata(document.metadata, file.metadata))
        title = metadata.title or document.title
        if settings.max_chars:
            max_chars, overlap = settings.max_chars, settings.overlap_chars
        else:  # a window of CJK text can be 200 characters: the overlap shrinks with it
            max_chars = window_chars(document, title, embedder)
            overlap = min(settings.overlap_chars, max_chars // 5)
        drafts = chunk_document(document, max_chars, overlap, settings.merge_sections)
        if len(drafts) > settings.max_chunks_per_file:
            raise ReadError(
                f"{len(drafts)} chunks, over the {settings.max_chunks_per_file} per-file limit "
                "(knowledge.max_chunks_per_file)"
            )
        texts = [d.embedding_text(title) for d in drafts]
        cut = over_window(embedder, texts)
        if cut:
            log.warning(
                "%s: %d of %d chunks fill or pass the %d-token window of %s, which reads no "
                "more of each (lower knowledge.chunking.max_chars, or leave it unset)",
                file.source,
                cut,
                len(drafts),
                embedder.max_tokens,
                embedder.model_id,
            )
            report.truncated_chunks += cut
        vectors = embedder.embed(texts)
        store.replace_document(
            DocumentWrite(
                collection=collection,
                source=file.source,
                title=title,
                format=document.format,
                content_hash=content_hash,
                fingerprint=print_,
                acl=acl,
                pages=document.pages,
                size_bytes=len(data),
                chunks=drafts,
                vectors=vectors,
                version=version_facts(document, metadata),
            )
        )
        report.chunks_embedded += len(drafts)
        status: FileStatus = "updated" if state is not None else "added"
        return FileOutcome(file.source, status, chunks=len(drafts), pages=document.pages)
    except (ReadError, MetadataError) as error:
        return _failed(file, str(error), kept=state is not None)
    except OSError as error:
        return _failed(file, f"cannot read: {error.strerror or error}", kept=state is not None)
    except StoreError as error:
        return _failed(file, str(error), kept=state is not None)
    except Exception as error:  # one bad file must not stop the batch; the log has the trace
        log.exception("ingest of %s failed", file.source)
        return _failed(file, f"internal error ({type(error).__name__}): {error}", state is not None)


def _failed(file: SourceFile, message: str, kept: bool = False) -> FileOutcome:
    if kept:
        message += "; the previously indexed version is kept"
    return FileOutcome(file.source, "failed", error=message)


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"
