"""Batches in the store: the batch object (OpenAI's shape) and each of its lines, pending until
its result is written. A result is written once (`UPDATE … WHERE status = 'pending'`), so a
gateway killed mid-batch and restarted runs only the lines that had no result, and the output
file holds every line exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

from switchgear.batch.lines import CheckedLine
from switchgear.store.sql import SqlStore

_encode = msgspec.json.encode
_decode = msgspec.json.decode
PENDING, ANSWERED, FAILED = "pending", "ok", "error"
# The states a gateway picks up again at start.
ACTIVE = ("in_progress", "cancelling", "finalizing")


class BatchStore:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def create(self, batch: dict[str, Any], owner: str, lines: list[CheckedLine]) -> None:
        def run(cursor: Any) -> None:
            cursor.execute(
                self.store.sql(
                    "INSERT INTO batches (id, owner, created_at, status, body) "
                    "VALUES (?, ?, ?, ?, ?)"
                ),
                (batch["id"], owner, batch["created_at"], batch["status"], _encode(batch).decode()),
            )
            cursor.executemany(
                self.store.sql(
                    "INSERT INTO batch_lines (batch_id, line_no, custom_id, request, status) "
                    "VALUES (?, ?, ?, ?, ?)"
                ),
                [(batch["id"], ln.number, ln.custom_id, ln.body.decode(), PENDING) for ln in lines],
            )

        self.store.transaction(run)

    def get(self, batch_id: str, owner: str | None = None) -> dict[str, Any] | None:
        """The batch object with its current `request_counts`; None if it is not `owner`'s."""
        where, params = "WHERE id = ?", [batch_id]
        if owner is not None:
            where, params = where + " AND owner = ?", [*params, owner]
        rows = self._bodies(where, params)
        return self._counted(rows[0]) if rows else None

    def owner(self, batch_id: str) -> str:
        rows = self._select("SELECT owner FROM batches WHERE id = ?", (batch_id,))
        return str(rows[0][0])

    def listing(self, owner: str, limit: int, after: str | None) -> list[dict[str, Any]]:
        """Newest first; `after`: the page after that batch."""
        where, params = "WHERE owner = ?", [owner]
        if after is not None:
            anchor = self._select(
                "SELECT created_at FROM batches WHERE id = ? AND owner = ?", (after, owner)
            )
            if anchor:
                where += " AND (created_at < ? OR (created_at = ? AND id < ?))"
                params += [anchor[0][0], anchor[0][0], after]
        rows = self._bodies(f"{where} ORDER BY created_at DESC, id DESC LIMIT ?", [*params, limit])
        return [self._counted(body) for body in rows]

    def update(self, batch_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Sets fields of the batch object (and its status column); returns the new object."""

        def run(cursor: Any) -> dict[str, Any]:
            cursor.execute(self.store.sql("SELECT body FROM batches WHERE id = ?"), (batch_id,))
            body: dict[str, Any] = {**_decode(cursor.fetchone()[0]), **changes}
            cursor.execute(
                self.store.sql("UPDATE batches SET status = ?, body = ? WHERE id = ?"),
                (body["status"], _encode(body).decode(), batch_id),
            )
            return body

        return self._counted(self.store.transaction(run))

    def active(self) -> list[str]:
        marks = ", ".join("?" for _ in ACTIVE)
        rows = self._select(
            f"SELECT id FROM batches WHERE status IN ({marks}) ORDER BY created_at", ACTIVE
        )
        return [str(row[0]) for row in rows]

    def pending(self, batch_id: str, after: int, limit: int) -> list[tuple[int, str, bytes]]:
        """Lines without a result, after line `after`, in order."""
        rows = self._select(
            "SELECT line_no, custom_id, request FROM batch_lines WHERE batch_id = ? "
            "AND status = ? AND line_no > ? ORDER BY line_no LIMIT ?",
            (batch_id, PENDING, after, limit),
        )
        return [(int(r[0]), str(r[1]), str(r[2]).encode()) for r in rows]

    def line(self, batch_id: str, line_no: int) -> tuple[str, bytes, str] | None:
        """(custom id, request body, status) of one line."""
        rows = self._select(
            "SELECT custom_id, request, status FROM batch_lines WHERE batch_id = ? AND line_no = ?",
            (batch_id, line_no),
        )
        return (str(rows[0][0]), str(rows[0][1]).encode(), str(rows[0][2])) if rows else None

    def finish_line(self, batch_id: str, line_no: int, status: str, result: dict[str, Any]) -> bool:
        """Writes a line's result, once: False when it already had one."""

        def run(cursor: Any) -> int:
            cursor.execute(
                self.store.sql(
                    "UPDATE batch_lines SET status = ?, result = ? "
                    "WHERE batch_id = ? AND line_no = ? AND status = ?"
                ),
                (status, _encode(result).decode(), batch_id, line_no, PENDING),
            )
            return int(cursor.rowcount)

        return bool(self.store.transaction(run))

    def results(self, batch_id: str, status: str) -> Iterator[bytes]:
        """The results of the lines in `status`, in line order, each a JSONL line."""
        after = 0
        while True:
            rows = self._select(
                "SELECT line_no, result FROM batch_lines WHERE batch_id = ? AND status = ? "
                "AND line_no > ? ORDER BY line_no LIMIT 1000",
                (batch_id, status, after),
            )
            if not rows:
                return
            for line_no, result in rows:
                yield str(result).encode() + b"\n"
                after = int(line_no)

    def counts(self, batch_id: str) -> dict[str, int]:
        rows = self._select(
            "SELECT status, COUNT(*) FROM batch_lines WHERE batch_id = ? GROUP BY status",
            (batch_id,),
        )
        by_status = {str(status): int(count) for status, count in rows}
        answered, failed = by_status.get(ANSWERED, 0), by_status.get(FAILED, 0)
        total = answered + failed + by_status.get(PENDING, 0)
        return {"total": total, "completed": answered, "failed": failed}

    def _counted(self, body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "request_counts": self.counts(body["id"])}

    def _bodies(self, where: str, params: list[Any]) -> list[dict[str, Any]]:
        rows = self._select(f"SELECT body FROM batches {where}", tuple(params))
        return [_decode(row[0]) for row in rows]

    def _select(self, text: str, params: tuple[Any, ...]) -> list[Any]:
        def run(cursor: Any) -> list[Any]:
            cursor.execute(self.store.sql(text), params)
            return list(cursor.fetchall())

        return self.store.transaction(run)  # type: ignore[no-any-return]
