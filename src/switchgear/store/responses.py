"""Stored Responses API answers: what `previous_response_id`, `GET /v1/responses/{id}` and its
`input_items` read. Each row belongs to the key that created it (another key gets "not
found", not "forbidden", and learns nothing) and expires after the retention period."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import msgspec

from switchgear.store.sql import SqlStore

_encode = msgspec.json.encode
_decode = msgspec.json.decode
# How far back a conversation is followed: a loop of ids (impossible through the API, but a
# database is a database) or an absurd chain stops here.
MAX_CHAIN = 1000


@dataclass(frozen=True, slots=True)
class StoredResponse:
    id: str
    owner: str
    created_at: float
    previous_id: str | None
    input_items: list[dict[str, Any]]
    body: dict[str, Any]


class ResponseStore:
    def __init__(self, store: SqlStore, retention_s: float) -> None:
        self.store = store
        self.retention_s = retention_s

    def save(self, response: StoredResponse) -> None:
        now = time.time()

        def run(cursor: Any) -> None:
            cursor.execute(
                self.store.sql("DELETE FROM stored_responses WHERE expires_at < ?"), (now,)
            )
            cursor.execute(
                self.store.sql(
                    "INSERT INTO stored_responses (id, owner, created_at, expires_at, "
                    "previous_id, input_items, body) VALUES (?, ?, ?, ?, ?, ?, ?)"
                ),
                (
                    response.id,
                    response.owner,
                    response.created_at,
                    now + self.retention_s,
                    response.previous_id,
                    _encode(response.input_items).decode(),
                    _encode(response.body).decode(),
                ),
            )

        self.store.transaction(run)

    def load(self, response_id: str, owner: str) -> StoredResponse | None:
        def run(cursor: Any) -> Any:
            cursor.execute(
                self.store.sql(
                    "SELECT id, owner, created_at, previous_id, input_items, body "
                    "FROM stored_responses WHERE id = ? AND owner = ? AND expires_at >= ?"
                ),
                (response_id, owner, time.time()),
            )
            return cursor.fetchone()

        row = self.store.transaction(run)
        if row is None:
            return None
        return StoredResponse(
            str(row[0]), str(row[1]), float(row[2]), row[3], _decode(row[4]), _decode(row[5])
        )

    def chain(self, response_id: str, owner: str) -> list[StoredResponse] | None:
        """The response and every one it continues, oldest first; None when any is missing."""
        found: list[StoredResponse] = []
        next_id: str | None = response_id
        while next_id is not None and len(found) < MAX_CHAIN:
            stored = self.load(next_id, owner)
            if stored is None:
                return None
            found.append(stored)
            next_id = stored.previous_id
        return found[::-1]

    def delete(self, response_id: str, owner: str) -> bool:
        def run(cursor: Any) -> int:
            cursor.execute(
                self.store.sql("DELETE FROM stored_responses WHERE id = ? AND owner = ?"),
                (response_id, owner),
            )
            return int(cursor.rowcount)

        return bool(self.store.transaction(run))
