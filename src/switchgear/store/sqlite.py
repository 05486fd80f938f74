"""SQLite (WAL): the embedded default store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from switchgear.store.sql import SQLITE, SqlStore
from switchgear.store.sqlite_connect import connect


def open_sqlite_store(path: Path) -> SqlStore:
    return SqlStore(_AutocommitOff(connect(path)), SQLITE)


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
