"""Uploaded files (`/v1/files`): a row in the store for each, the content on disk in the data
directory. Each file belongs to the key that uploaded it; another key gets "not found" and
learns nothing. Batch input files are checked line by line as they are copied in
(`batch/lines.py`), so a bad line is refused at upload with its number, not hours later."""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from switchgear.store.sql import SqlStore

# The purposes this gateway accepts from callers, and the ones it writes itself.
UPLOAD_PURPOSES = ("batch",)
OUTPUT_PURPOSE = "batch_output"


@dataclass(frozen=True, slots=True)
class StoredFile:
    id: str
    owner: str
    purpose: str
    filename: str
    bytes: int
    created_at: float

    def wire(self) -> dict[str, Any]:
        """OpenAI's file object."""
        return {
            "id": self.id,
            "object": "file",
            "bytes": self.bytes,
            "created_at": int(self.created_at),
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
            "expires_at": None,
        }


def new_file_id() -> str:
    return "file-" + secrets.token_hex(12)


class FileStore:
    def __init__(self, store: SqlStore, directory: Path) -> None:
        self.store = store
        self.directory = directory

    def path(self, file_id: str) -> Path:
        return self.directory / file_id

    def add(
        self,
        owner: str,
        purpose: str,
        filename: str,
        source: BinaryIO,
        check: Callable[[BinaryIO, BinaryIO], None] | None = None,
    ) -> StoredFile:
        """Copies `source` in (through `check(source, sink)` where given: it copies and
        raises on a bad line) and records it; nothing is kept of a refused file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        file_id = new_file_id()
        target = self.path(file_id)
        try:
            with target.open("wb") as sink:
                if check is None:
                    shutil.copyfileobj(source, sink)
                else:
                    check(source, sink)
            stored = StoredFile(
                file_id, owner, purpose, filename, target.stat().st_size, time.time()
            )
            self._insert(stored)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return stored

    def write(self, owner: str, purpose: str, filename: str, lines: Iterator[bytes]) -> StoredFile:
        """A file the gateway writes itself (a batch's output)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        file_id = new_file_id()
        target = self.path(file_id)
        with target.open("wb") as sink:
            for line in lines:
                sink.write(line)
        stored = StoredFile(file_id, owner, purpose, filename, target.stat().st_size, time.time())
        self._insert(stored)
        return stored

    def _insert(self, stored: StoredFile) -> None:
        def run(cursor: Any) -> None:
            cursor.execute(
                self.store.sql(
                    "INSERT INTO files (id, owner, purpose, filename, bytes, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)"
                ),
                (
                    stored.id,
                    stored.owner,
                    stored.purpose,
                    stored.filename,
                    stored.bytes,
                    stored.created_at,
                ),
            )

        self.store.transaction(run)

    def get(self, file_id: str, owner: str) -> StoredFile | None:
        rows = self._select("WHERE id = ? AND owner = ?", (file_id, owner))
        return rows[0] if rows else None

    def listing(self, owner: str, purpose: str | None = None) -> list[StoredFile]:
        if purpose is None:
            return self._select("WHERE owner = ? ORDER BY created_at DESC, id", (owner,))
        where = "WHERE owner = ? AND purpose = ? ORDER BY created_at DESC, id"
        return self._select(where, (owner, purpose))

    def delete(self, file_id: str, owner: str) -> bool:
        def run(cursor: Any) -> int:
            cursor.execute(
                self.store.sql("DELETE FROM files WHERE id = ? AND owner = ?"), (file_id, owner)
            )
            return int(cursor.rowcount)

        deleted = bool(self.store.transaction(run))
        if deleted:
            self.path(file_id).unlink(missing_ok=True)
        return deleted

    def _select(self, where: str, params: tuple[Any, ...]) -> list[StoredFile]:
        def run(cursor: Any) -> list[Any]:
            cursor.execute(
                self.store.sql(
                    "SELECT id, owner, purpose, filename, bytes, created_at FROM files " + where
                ),
                params,
            )
            return list(cursor.fetchall())

        rows = self.store.transaction(run)
        return [
            StoredFile(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), float(r[5]))
            for r in rows
        ]
