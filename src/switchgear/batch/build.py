"""The batch feature's parts, wired: the file and batch stores, the door each line goes
through, the runner and the services of the `files` and `batches` kinds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from switchgear.batch.door import BatchDoor
from switchgear.batch.files import FileStore
from switchgear.batch.runner import BatchRunner
from switchgear.batch.service import BatchServices
from switchgear.batch.store import BatchStore
from switchgear.config import Config
from switchgear.governance.keys import KeyRing
from switchgear.schema.errors import GatewayError
from switchgear.store.sql import SqlStore
from switchgear.trip import Answer


def build_batches(
    config: Config,
    store: SqlStore,
    keys: KeyRing,
    run: Callable[..., Awaitable[Answer]],
    record_rejected: Callable[[str, GatewayError], None],
) -> tuple[BatchServices, BatchRunner]:
    """`run` and `record_rejected`: the pipeline's (called once it exists)."""
    files = FileStore(store, Path(config.resolved_data_dir()) / "files")
    batches = BatchStore(store)
    door = BatchDoor(run, record_rejected, keys, config.server)
    runner = BatchRunner(batches, files, door.run_line, config.batch.concurrency)
    services = BatchServices(files, batches, runner, config.batch, config.server)
    return services, runner


__all__ = ["build_batches"]
