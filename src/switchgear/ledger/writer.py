"""Batches usage records onto a background thread so the request path never waits on disk.

`close()` drains everything still queued, so a clean shutdown loses nothing.
"""

from __future__ import annotations

import logging
import queue
import threading

from switchgear.store.base import UsageRecord, UsageStore

log = logging.getLogger("switchgear.ledger")

_FLUSH_INTERVAL_S = 0.05
_MAX_BATCH = 500


class LedgerWriter:
    def __init__(self, store: UsageStore) -> None:
        self.store = store
        self._queue: queue.SimpleQueue[UsageRecord | None] = queue.SimpleQueue()
        self._idle = threading.Condition()
        self._unwritten = 0
        self._thread = threading.Thread(target=self._drain, name="ledger-writer", daemon=True)
        self._thread.start()

    def record(self, record: UsageRecord) -> None:
        with self._idle:
            self._unwritten += 1
        self._queue.put(record)

    def flush(self, timeout: float = 10.0) -> bool:
        """Blocks until every record handed over so far is on disk."""
        with self._idle:
            return self._idle.wait_for(lambda: self._unwritten == 0, timeout=timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _drain(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            batch: list[UsageRecord] = []
            if first is None:
                stopping = True
            else:
                batch.append(first)
            while len(batch) < _MAX_BATCH:
                try:
                    item = self._queue.get(timeout=_FLUSH_INTERVAL_S if batch else 0.0)
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    continue
                batch.append(item)
            self._write(batch)

    def _write(self, batch: list[UsageRecord]) -> None:
        if not batch:
            return
        for attempt in range(3):
            try:
                self.store.write_usage(batch)
                break
            except Exception:
                log.exception("ledger write failed (attempt %d)", attempt + 1)
        with self._idle:
            self._unwritten -= len(batch)
            self._idle.notify_all()
