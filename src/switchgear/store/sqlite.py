"""SQLite (WAL): the embedded default store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from switchgear.store.sql import SQLITE, SqlStore


def open_sqlite_store(path: Path) -> SqlStore:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    # NORMAL: a committed transaction survives a killed process (the OS has it); only a power
    # cut can lose the last few, which is the trade every WAL deployment makes.
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=5000")
    return SqlStore(_AutocommitOff(connection), SQLITE)


class _AutocommitOff:
    """sqlite3 in autocommit mode with explicit BEGIN/COMMIT, behind the DB-API calls we use."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def cursor(self) -> sqlite3.Cursor:
        return self._connection.cursor()

    def commit(self) -> None:
        if self._connection.in_transaction:
            self._connection.execute("COMMIT")

    def rollback(self) -> None:
        if self._connection.in_transaction:
            self._connection.execute("ROLLBACK")

    def close(self) -> None:
        self._connection.close()
