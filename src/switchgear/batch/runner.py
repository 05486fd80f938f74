"""Runs batches in the gateway's own process: each line one trip through the pipeline (its
door is `batch.<kind>`: guards, limits, routing and the ledger as over HTTP), charged to the
key that created the batch, at most `batch.concurrency` lines at once over all batches.

Line results go to the store as they come (`BatchStore.finish_line`, once each); a batch is
picked up again at start wherever it was, so a killed gateway loses no line and runs none
twice for the output. The output and error files are written at the end, in line order."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from switchgear.batch.files import OUTPUT_PURPOSE, FileStore
from switchgear.batch.store import ANSWERED, FAILED, BatchStore

log = logging.getLogger("switchgear.batch")
_PAGE = 64  # lines read from the store at a time


@dataclass(frozen=True, slots=True)
class LineAnswer:
    status_code: int
    body: dict[str, Any]
    request_id: str | None


# (owner, url, body) -> the answer, as the door would have sent it
RunLine = Callable[[str, str, bytes], Awaitable[LineAnswer]]
# (batch id, owner, url, line number, custom id, body): runs one line and writes its result
ExecuteLine = Callable[[str, str, str, int, str, bytes], Awaitable[None]]


def result_line(custom_id: str, answer: LineAnswer) -> dict[str, Any]:
    """One line of an output or error file, in OpenAI's format."""
    return {
        "id": "batch_req_" + secrets.token_hex(12),
        "custom_id": custom_id,
        "response": {
            "status_code": answer.status_code,
            "request_id": answer.request_id,
            "body": answer.body,
        },
        "error": None,
    }


class InProcessLines:
    """Runs a line in this process: one trip, its result written once."""

    def __init__(self, batches: BatchStore, run_line: RunLine) -> None:
        self.batches = batches
        self.run_line = run_line

    async def execute(
        self, batch_id: str, owner: str, url: str, line_no: int, custom_id: str, body: bytes
    ) -> None:
        answer = await self.run_line(owner, url, body)
        status = ANSWERED if answer.status_code < 400 else FAILED
        result = result_line(custom_id, answer)
        await asyncio.to_thread(self.batches.finish_line, batch_id, line_no, status, result)


class BatchRunner:
    def __init__(
        self, batches: BatchStore, files: FileStore, execute: ExecuteLine, concurrency: int
    ) -> None:
        """`execute`: in this process (`InProcessLines`) or on a Ray cluster (`RayLines`)."""
        self.batches = batches
        self.files = files
        self.execute = execute
        self._slots = asyncio.Semaphore(concurrency)
        self._running: dict[str, asyncio.Task[None]] = {}
        self._cancelled: set[str] = set()

    async def start(self) -> None:
        """Picks up every batch a previous process left unfinished."""
        for batch_id in await asyncio.to_thread(self.batches.active):
            self.submit(batch_id)

    def submit(self, batch_id: str) -> None:
        if batch_id not in self._running:
            task = asyncio.get_running_loop().create_task(self._run(batch_id))
            self._running[batch_id] = task
            task.add_done_callback(lambda _: self._running.pop(batch_id, None))

    def cancel(self, batch_id: str) -> None:
        """Stops starting lines (those in flight finish); the batch ends `cancelled`."""
        self._cancelled.add(batch_id)
        self.submit(batch_id)  # a batch that was not running still gets finalized

    async def stop(self) -> None:
        """At shutdown: lines in flight are abandoned and stay pending for the next start."""
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def wait(self, batch_id: str) -> None:
        task = self._running.get(batch_id)
        if task is not None:
            await asyncio.shield(task)

    async def _run(self, batch_id: str) -> None:
        try:
            batch = await asyncio.to_thread(self.batches.get, batch_id)
            if batch is None:
                return
            owner = await asyncio.to_thread(self.batches.owner, batch_id)
            if batch["status"] == "in_progress":
                url, expires_at = batch["endpoint"], float(batch["expires_at"])
                await self._run_lines(batch_id, owner, url, expires_at)
            await self._finalize(batch_id, owner)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("batch %s failed", batch_id)
            failed = {"status": "failed", "failed_at": int(time.time())}
            await asyncio.to_thread(self.batches.update, batch_id, failed)

    async def _run_lines(self, batch_id: str, owner: str, url: str, expires_at: float) -> None:
        in_flight: set[asyncio.Task[None]] = set()
        after = 0
        try:
            while batch_id not in self._cancelled and time.time() < expires_at:
                page = await asyncio.to_thread(self.batches.pending, batch_id, after, _PAGE)
                if not page:
                    break
                for line_no, custom_id, body in page:
                    await self._slots.acquire()
                    if batch_id in self._cancelled:
                        self._slots.release()
                        break
                    task = asyncio.create_task(
                        self._line(batch_id, (owner, url), line_no, custom_id, body)
                    )
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                    after = line_no
            await asyncio.gather(*in_flight)
        finally:
            for task in in_flight:
                task.cancel()

    async def _line(
        self, batch_id: str, caller: tuple[str, str], line_no: int, custom_id: str, body: bytes
    ) -> None:
        """`caller`: the batch's owner and endpoint."""
        try:
            await self.execute(batch_id, *caller, line_no, custom_id, body)
        except Exception as error:  # the executor itself failed (a Ray worker, the network)
            log.warning("batch %s line %d failed: %s", batch_id, line_no, error)
            failed = LineAnswer(502, _worker_failed(error), None)
            result = result_line(custom_id, failed)
            await asyncio.to_thread(self.batches.finish_line, batch_id, line_no, FAILED, result)
        finally:
            self._slots.release()

    async def _finalize(self, batch_id: str, owner: str) -> None:
        now = int(time.time())
        batch = await asyncio.to_thread(self.batches.get, batch_id)
        assert batch is not None
        if batch_id in self._cancelled or batch["status"] == "cancelling":
            end = {"status": "cancelled", "cancelled_at": now}
        elif await asyncio.to_thread(self._expire_pending, batch_id):
            end = {"status": "expired", "expired_at": now}
        else:
            end = {"status": "completed", "completed_at": now}
        await asyncio.to_thread(
            self.batches.update, batch_id, {"status": "finalizing", "finalizing_at": now}
        )
        files = await asyncio.to_thread(self._write_files, batch_id, owner)
        await asyncio.to_thread(self.batches.update, batch_id, {**files, **end})
        self._cancelled.discard(batch_id)

    def _expire_pending(self, batch_id: str) -> int:
        """Lines the completion window left unanswered go to the error file as expired."""
        expired = 0
        while page := self.batches.pending(batch_id, 0, 1000):
            for line_no, custom_id, _ in page:
                result = {
                    "id": "batch_req_" + secrets.token_hex(12),
                    "custom_id": custom_id,
                    "response": None,
                    "error": {
                        "code": "batch_expired",
                        "message": "This request could not be executed before the completion "
                        "window expired.",
                    },
                }
                expired += self.batches.finish_line(batch_id, line_no, FAILED, result)
        return expired

    def _write_files(self, batch_id: str, owner: str) -> dict[str, str | None]:
        counts = self.batches.counts(batch_id)
        out: dict[str, str | None] = {"output_file_id": None, "error_file_id": None}
        for field, status, count in (
            ("output_file_id", ANSWERED, counts["completed"]),
            ("error_file_id", FAILED, counts["failed"]),
        ):
            if count:
                name = f"{batch_id}_{'output' if status == ANSWERED else 'error'}.jsonl"
                lines = self.batches.results(batch_id, status)
                out[field] = self.files.write(owner, OUTPUT_PURPOSE, name, lines).id
        return out


def _worker_failed(error: Exception) -> dict[str, Any]:
    message = f"The batch worker failed on this line: {type(error).__name__}."
    return {"error": {"message": message, "type": "server_error", "param": None,
                      "code": "batch_worker_failed"}}  # fmt: skip
