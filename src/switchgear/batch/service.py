"""The provider step of the `files` and `batches` kinds: the caller's own files and batches
(another key's are "not found"), in OpenAI's objects. Creating a batch hands it to the runner."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import TYPE_CHECKING, Any

from switchgear.batch.config import BatchConfig
from switchgear.batch.files import UPLOAD_PURPOSES, FileStore, StoredFile
from switchgear.batch.lines import ENDPOINTS, CheckedLine, copy_checked, read_checked
from switchgear.batch.runner import BatchRunner
from switchgear.batch.store import BatchStore
from switchgear.responses_service import owner_of
from switchgear.schema.batches import BatchCreate, BatchRequest, FileRequest
from switchgear.schema.errors import InvalidRequest, NotFound
from switchgear.trip import Trip

if TYPE_CHECKING:
    from switchgear.config import ServerConfig

COMPLETION_WINDOW = "24h"  # the only window OpenAI offers
_WINDOW_S = 24 * 3600
_MAX_METADATA = 16


class BatchServices:
    def __init__(
        self,
        files: FileStore,
        batches: BatchStore,
        runner: BatchRunner,
        config: BatchConfig,
        limits: ServerConfig,
    ) -> None:
        self.files = files
        self.batches = batches
        self.runner = runner
        self.config = config
        self.limits = limits

    def table(self) -> dict[str, Any]:
        return {FileRequest.kind: self.file, BatchRequest.kind: self.batch}

    # -- /v1/files ------------------------------------------------------------------------

    async def file(self, trip: Trip) -> dict[str, Any]:
        request: FileRequest = trip.request
        assert trip.admission is not None
        owner = owner_of(trip.admission.identity)
        trip.route = "files"
        if request.action == "upload":
            return (await asyncio.to_thread(self._upload, request, owner)).wire()
        if request.action == "list":
            found = await asyncio.to_thread(self.files.listing, owner, request.purpose or None)
            return _page([f.wire() for f in found], request.limit, request.after)
        assert request.file_id is not None
        if request.action == "delete":
            if not await asyncio.to_thread(self.files.delete, request.file_id, owner):
                raise _no_file(request.file_id)
            return {"id": request.file_id, "object": "file", "deleted": True}
        stored = await asyncio.to_thread(self.files.get, request.file_id, owner)
        if stored is None:
            raise _no_file(request.file_id)
        if request.action == "content":  # the door streams the file itself
            return {"path": str(self.files.path(stored.id)), "filename": stored.filename}
        return stored.wire()

    def _upload(self, request: FileRequest, owner: str) -> StoredFile:
        if request.purpose not in UPLOAD_PURPOSES:
            raise InvalidRequest(
                f"'{request.purpose}' is not a supported purpose here; use one of: "
                f"{', '.join(UPLOAD_PURPOSES)}.",
                param="purpose",
            )
        c = self.config

        def check(source: Any, sink: Any) -> None:
            copy_checked(source, sink, self.limits, c.max_lines, c.max_file_bytes)

        return self.files.add(owner, request.purpose, request.filename, request.source, check)

    # -- /v1/batches ----------------------------------------------------------------------

    async def batch(self, trip: Trip) -> dict[str, Any]:
        request: BatchRequest = trip.request
        assert trip.admission is not None
        owner = owner_of(trip.admission.identity)
        trip.route = "batches"
        if request.action == "create":
            assert request.body is not None
            return await self._create(request.body, owner)
        if request.action == "list":
            found = await asyncio.to_thread(
                self.batches.listing, owner, request.limit + 1, request.after
            )
            return _listed(found, request.limit)
        assert request.batch_id is not None
        batch = await asyncio.to_thread(self.batches.get, request.batch_id, owner)
        if batch is None:
            raise NotFound(f"No batch found with id '{request.batch_id}'.", param="batch_id")
        if request.action == "cancel":
            return await self._cancel(batch)
        return batch

    async def _create(self, body: BatchCreate, owner: str) -> dict[str, Any]:
        input_file_id, endpoint = body.input_file_id, body.endpoint
        if endpoint not in ENDPOINTS:
            raise InvalidRequest(
                f"'endpoint' must be one of {', '.join(ENDPOINTS)}.", param="endpoint"
            )
        if body.completion_window != COMPLETION_WINDOW:
            raise InvalidRequest(
                f"'completion_window' must be '{COMPLETION_WINDOW}'.", param="completion_window"
            )
        metadata = _checked_metadata(body.metadata)
        stored = await asyncio.to_thread(self.files.get, input_file_id, owner)
        if stored is None or stored.purpose != "batch":
            raise InvalidRequest(
                f"No batch input file found with id '{input_file_id}'.", param="input_file_id"
            )
        lines = await asyncio.to_thread(self._lines_of, stored)
        wrong = next((line for line in lines if line.url != endpoint), None)
        if wrong is not None:
            raise InvalidRequest(
                f"Line {wrong.number}: `url` {wrong.url} is not the batch's endpoint {endpoint}.",
                param="input_file_id",
            )
        now, batch_id = int(time.time()), "batch_" + secrets.token_hex(12)
        batch: dict[str, Any] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": endpoint,
            "errors": None,
            "input_file_id": input_file_id,
            "completion_window": COMPLETION_WINDOW,
            "status": "in_progress",  # checked at upload: nothing is left to validate
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "in_progress_at": now,
            "expires_at": now + _WINDOW_S,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "metadata": metadata,
        }
        await asyncio.to_thread(self.batches.create, batch, owner, lines)
        self.runner.submit(batch_id)
        return {**batch, "request_counts": {"total": len(lines), "completed": 0, "failed": 0}}

    def _lines_of(self, stored: StoredFile) -> list[CheckedLine]:
        with self.files.path(stored.id).open("rb") as source:
            return read_checked(source)

    async def _cancel(self, batch: dict[str, Any]) -> dict[str, Any]:
        if batch["status"] in ("cancelling", "cancelled"):
            return batch
        if batch["status"] != "in_progress":
            raise InvalidRequest(
                f"Cannot cancel a batch with status '{batch['status']}'.",
                param="batch_id",
                code="batch_not_cancellable",
            )
        changes = {"status": "cancelling", "cancelling_at": int(time.time())}
        updated = await asyncio.to_thread(self.batches.update, batch["id"], changes)
        self.runner.cancel(batch["id"])
        return updated


def _checked_metadata(metadata: dict[str, str] | None) -> dict[str, str] | None:
    if metadata is None:
        return None
    valid = all(len(k) <= 64 and len(v) <= 512 for k, v in metadata.items())
    if not valid or len(metadata) > _MAX_METADATA:
        raise InvalidRequest(
            f"'metadata' holds at most {_MAX_METADATA} string pairs (keys up to 64 characters, "
            "values up to 512).",
            param="metadata",
        )
    return dict(metadata)


def _no_file(file_id: str) -> NotFound:
    return NotFound(f"No such File object: {file_id}", param="file_id")


def _page(items: list[dict[str, Any]], limit: int, after: str | None) -> dict[str, Any]:
    if after is not None:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    return _listed(items, limit)


def _listed(items: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    page = items[:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(items) > limit,
    }
