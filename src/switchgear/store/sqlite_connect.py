"""The one way this project opens SQLite: the ledger's store and the knowledge index alike
(WAL, one busy timeout), with the sqlite-vec extension where vectors are wanted.

Python's `sqlite3` can load extensions only when its SQLite was built to allow it; the pyenv
Pythons on our machines are not (`Connection.enable_load_extension` is missing). Then we use
`pysqlite3` (the `pysqlite3-binary` wheel: the same DB-API module over a bundled, recent SQLite
with FTS5 and extension loading). Contentless-delete FTS5 tables need SQLite 3.43 or newer.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

MIN_SQLITE = (3, 43, 0)
# How long a writer waits for another process's write lock before giving up.
BUSY_TIMEOUT_MS = 10_000


class SqliteUnavailable(RuntimeError):
    """No SQLite module here can load sqlite-vec; the message says what to install."""


def sqlite_module() -> ModuleType:
    """The DB-API module to use: the standard library's when it can load extensions."""
    if (
        hasattr(sqlite3.Connection, "enable_load_extension")
        and sqlite3.sqlite_version_info >= MIN_SQLITE
    ):
        return sqlite3
    try:
        from pysqlite3 import dbapi2  # type: ignore[import-untyped]
    except ImportError as error:
        raise SqliteUnavailable(
            f"this Python's sqlite3 (SQLite {sqlite3.sqlite_version}) cannot load extensions "
            "or is older than 3.43; install `pysqlite3-binary` (Linux x86-64) or a Python "
            "built with --enable-loadable-sqlite-extensions"
        ) from error
    module: ModuleType = dbapi2
    return module


def connect(path: Path | str, *, vectors: bool = False) -> Any:
    """A connection in autocommit mode (transactions are explicit), WAL, NORMAL sync (a
    committed transaction survives a killed process; only a power cut can lose the last few),
    with sqlite-vec loaded when `vectors`."""
    module = sqlite_module() if vectors else sqlite3
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = module.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        if vectors:
            import sqlite_vec  # type: ignore[import-untyped]

            db.enable_load_extension(True)
            sqlite_vec.load(db)
            db.enable_load_extension(False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys=ON")
    except Exception as error:
        db.close()
        if vectors:
            raise SqliteUnavailable(f"cannot load sqlite-vec into SQLite: {error}") from error
        raise
    return db
