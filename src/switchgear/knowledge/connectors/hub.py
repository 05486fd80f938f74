"""A gateway's configured connectors: run one now, list their status, and run the scheduled
and watched ones in the background. One sync per connector at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from switchgear.knowledge.connectors.base import Connector, RemoteDocument, SourceError
from switchgear.knowledge.connectors.build import build_connector
from switchgear.knowledge.connectors.config import ConnectorConfig, DirectoryConnectorConfig
from switchgear.knowledge.connectors.state import ConnectorState, SyncReport
from switchgear.knowledge.connectors.sync import SyncTarget, sync_connector

if TYPE_CHECKING:
    from switchgear.knowledge.service import Knowledge

log = logging.getLogger("switchgear.knowledge")


class UnknownConnector(KeyError):
    """No connector of that name is configured."""


class SyncRunning(RuntimeError):
    """That connector is syncing already; this request did not start another run."""


@dataclass(frozen=True, slots=True)
class _Unbuildable:
    """Stands in for a connector that could not be built (a secret not set): every listing
    fails with the reason, so the status shows it."""

    reason: str

    def list_documents(self) -> Iterator[RemoteDocument]:
        raise SourceError(self.reason)


class ConnectorHub:
    def __init__(
        self,
        knowledge: Callable[[], Knowledge],
        configs: dict[str, ConnectorConfig],
        data_dir: Path,
    ) -> None:
        """`knowledge` opens the index on first use, so a gateway whose connectors never run
        never loads it for them."""
        self._knowledge = knowledge
        self._configs = configs
        self._data_dir = data_dir
        self._state: ConnectorState | None = None
        self._state_lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._stopping = False

    def sync(self, name: str, *, wait: bool = False) -> SyncReport:
        """Runs one sync of `name` now (blocking). One under way already: `SyncRunning`, or
        with `wait`, this one runs after it (a change seen meanwhile is not skipped)."""
        config = self._config(name)
        lock = self._locks.setdefault(name, threading.Lock())
        if not lock.acquire(blocking=wait):
            raise SyncRunning(f"connector `{name}` is syncing already")
        try:
            if self._stopping:
                raise SyncRunning("the gateway is stopping")
            knowledge = self._knowledge()
            knowledge.store.ensure_collection(config.collection)
            try:
                connector: Connector = build_connector(
                    name, config, knowledge.config.acl_for(config.collection), self._data_dir
                )
            except SourceError as error:
                connector = _Unbuildable(str(error))
            return sync_connector(name, config.collection, connector, self._target())
        finally:
            lock.release()

    def statuses(self) -> list[dict[str, Any]]:
        """Every configured connector with its last run (`null`: it never ran)."""
        if not self._configs:
            return []  # and the index is not opened for nothing
        saved = self._state_db().statuses()
        listed = []
        for name, config in sorted(self._configs.items()):
            last = saved.get(name)
            running = name in self._locks and self._locks[name].locked()
            listed.append(
                {
                    "object": "knowledge.connector",
                    "name": name,
                    "type": type(config).__struct_config__.tag,
                    "collection": config.collection,
                    "schedule_seconds": config.schedule_seconds,
                    "watch": isinstance(config, DirectoryConnectorConfig) and config.watch,
                    "running": running,
                    "last_run": last.to_dict(files=False) if last else None,
                }
            )
        return listed

    @contextlib.asynccontextmanager
    async def scheduled(self) -> AsyncIterator[None]:
        """Background syncs while the block runs: every `schedule_seconds`, and on each change
        of a watched folder. On exit, waits for a sync under way to finish."""
        tasks = []
        for name, config in self._configs.items():
            if isinstance(config, DirectoryConnectorConfig) and config.watch:
                tasks.append(asyncio.create_task(self._watch(name, config)))
            elif config.schedule_seconds:
                tasks.append(asyncio.create_task(self._every(name, config.schedule_seconds)))
        try:
            yield
        finally:
            self._stopping = True
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.to_thread(self._wait_idle)

    def close(self) -> None:
        """Closes the state database; the hub can run again (a gateway's lifespan restarted)."""
        with self._state_lock:
            if self._state is not None:
                self._state.close()
                self._state = None
        self._stopping = False

    # -- helpers -----------------------------------------------------------------------------

    def _config(self, name: str) -> ConnectorConfig:
        found = self._configs.get(name)
        if found is None:
            raise UnknownConnector(name)
        return found

    def _state_db(self) -> ConnectorState:
        with self._state_lock:
            if self._state is None:
                self._state = ConnectorState.of(self._knowledge().store)
            return self._state

    def _target(self) -> SyncTarget:
        knowledge = self._knowledge()
        settings = knowledge.ingest_settings()
        return SyncTarget(knowledge.store, knowledge.embedder, self._state_db(), settings)

    async def _every(self, name: str, seconds: float) -> None:
        while True:
            await self._background_sync(name)
            await asyncio.sleep(seconds)

    async def _watch(self, name: str, config: DirectoryConnectorConfig) -> None:
        """Syncs at start, then after each batch of changes (watchfiles groups a burst of
        writes); without watchfiles, every `poll_seconds`."""
        try:
            from watchfiles import awatch
        except ImportError:
            await self._every(name, config.poll_seconds)
            return
        folder = await asyncio.to_thread(lambda: Path(config.path).expanduser())
        await self._background_sync(name)
        while True:
            try:
                async for _changes in awatch(folder):
                    await self._background_sync(name)
            except FileNotFoundError:  # the folder is not there (yet): the status says so
                pass
            await asyncio.sleep(config.poll_seconds)
            await self._background_sync(name)

    async def _background_sync(self, name: str) -> None:
        try:
            report = await asyncio.to_thread(lambda: self.sync(name, wait=True))
        except SyncRunning:  # stopping
            return
        except Exception:  # the next round tries again; the log has the trace
            log.exception("connector %s: scheduled sync failed", name)
            return
        if report.error:
            log.warning("connector %s: %s", name, report.error)

    def _wait_idle(self) -> None:
        for lock in list(self._locks.values()):
            with lock:
                pass
