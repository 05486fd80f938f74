"""The batch feature's parts, wired: the file and batch stores, the door each line goes
through, where lines run (this process or Ray), the runner, the services of the `files` and
`batches` kinds, and the handler of line requests from Ray workers."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from switchgear.batch.door import BatchDoor
from switchgear.batch.files import FileStore
from switchgear.batch.ray_lines import TOKEN_SECRET, RayLines, line_token
from switchgear.batch.runner import BatchRunner, ExecuteLine, InProcessLines
from switchgear.batch.service import BatchServices
from switchgear.batch.store import PENDING, BatchStore
from switchgear.governance.keys import KeyRing
from switchgear.schema.errors import GatewayError, NotFound
from switchgear.store.sql import SqlStore
from switchgear.trip import Answer

if TYPE_CHECKING:
    from switchgear.config import Config


@dataclass(frozen=True, slots=True)
class Batches:
    services: BatchServices
    runner: BatchRunner
    lines: LineRequests


class LineRequests:
    """`POST /v1/batches/{id}/lines/{n}` from a Ray worker: runs that line here, once."""

    def __init__(self, batches: BatchStore, local: InProcessLines, secret: str) -> None:
        self.batches = batches
        self.local = local
        self.secret = secret

    async def run(self, batch_id: str, line_no: int, token: str) -> str:
        if not hmac.compare_digest(token, line_token(self.secret, batch_id)):
            raise NotFound(f"No batch found with id '{batch_id}'.", param="batch_id")
        batch = await asyncio.to_thread(self.batches.get, batch_id)
        line = await asyncio.to_thread(self.batches.line, batch_id, line_no)
        if batch is None or line is None:
            raise NotFound(f"No line {line_no} in batch '{batch_id}'.", param="line")
        custom_id, body, status = line
        if status != PENDING:
            return "already answered"  # a Ray retry of a line that finished
        owner = await asyncio.to_thread(self.batches.owner, batch_id)
        await self.local.execute(batch_id, owner, batch["endpoint"], line_no, custom_id, body)
        return "answered"


def build_batches(
    config: Config,
    store: SqlStore,
    keys: KeyRing,
    run: Callable[..., Awaitable[Answer]],
    record_rejected: Callable[[str, GatewayError], None],
) -> Batches:
    """`run` and `record_rejected`: the pipeline's (called once it exists)."""
    files = FileStore(store, Path(config.resolved_data_dir()) / "files")
    batches = BatchStore(store)
    door = BatchDoor(run, record_rejected, keys, config.server)
    local = InProcessLines(batches, door.run_line)
    secret = store.secret(TOKEN_SECRET)
    c = config.batch
    execute: ExecuteLine = local.execute
    if c.executor == "ray":
        assert c.gateway_url is not None  # checked by the config
        ray = RayLines(c.ray_address, c.gateway_url, secret, c.ray_retries, c.line_timeout_s)
        execute = ray.execute
    runner = BatchRunner(batches, files, execute, c.concurrency)
    services = BatchServices(files, batches, runner, c, config.server)
    return Batches(services, runner, LineRequests(batches, local, secret))
