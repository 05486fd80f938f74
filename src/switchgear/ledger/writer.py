"""Writes ledger records on a background thread with group commit.

The request path hands a record over and gets a future; the API awaits it before the last
byte of the answer, so an answered request is always on disk (a `kill -9` loses nothing a
client saw completed), yet concurrent requests share one transaction instead of queueing on
the disk one by one. `close()` drains everything still queued.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future

from switchgear.store.base import LedgerEntry, LedgerStore

log = logging.getLogger("switchgear.ledger")

_MAX_BATCH = 500
_Item = tuple[LedgerEntry, "Future[None]"]


class LedgerWriter:
    def __init__(self, store: LedgerStore) -> None:
        self.store = store
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._idle = threading.Condition()
        self._unwritten = 0
        self._thread = threading.Thread(target=self._drain, name="ledger-writer", daemon=True)
        self._thread.start()

    def record(self, record: LedgerEntry) -> Future[None]:
        """Queues a record; the future completes once it is committed."""
        done: Future[None] = Future()
        with self._idle:
            self._unwritten += 1
        self._queue.put((record, done))
        return done

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
            if first is None:
                stopping = True
                batch: list[_Item] = []
            else:
                batch = [first]
            # Whatever arrived while the last commit ran goes into this one (group commit).
            while len(batch) < _MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    continue
                batch.append(item)
            self._write(batch)

    def _write(self, batch: list[_Item]) -> None:
        if not batch:
            return
        error: Exception | None = None
        for attempt in range(3):
            try:
                self.store.write_ledger([record for record, _ in batch])
                error = None
                break
            except Exception as failure:
                error = failure
                log.exception("ledger write failed (attempt %d)", attempt + 1)
        for _, done in batch:
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)
        with self._idle:
            self._unwritten -= len(batch)
            self._idle.notify_all()
