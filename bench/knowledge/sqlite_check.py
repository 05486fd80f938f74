"""Can this Python load sqlite-vec? Run on a fresh machine after installing the requirements:

    python bench/knowledge/sqlite_check.py

Prints which SQLite module `switchgear.store.sqlite_connect` picks and runs the two
queries retrieval depends on: an FTS5 contentless-delete BM25 match and a vec0 KNN filtered
by partition key and an `IN (subquery)` on a metadata column. Needs only the standard
library, `sqlite-vec` and (where the standard library cannot load extensions) `pysqlite3`.
"""

from __future__ import annotations

import importlib.util
import platform
import sqlite3
import struct
import sys
from pathlib import Path

# Loaded by path so this runs without the package's other dependencies installed.
_SOURCE = Path(__file__).resolve().parents[2] / "src/switchgear.store.sqlite_connect.py"
_spec = importlib.util.spec_from_file_location("sqlite_connect", _SOURCE)
assert _spec is not None and _spec.loader is not None
sqlite_connect = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sqlite_connect)
connect, sqlite_module = sqlite_connect.connect, sqlite_connect.sqlite_module


def main() -> None:
    print(f"python {platform.python_version()} ({sys.executable}) on {platform.platform()}")
    print(
        f"stdlib sqlite3: SQLite {sqlite3.sqlite_version}, enable_load_extension: "
        f"{hasattr(sqlite3.Connection, 'enable_load_extension')}"
    )
    module = sqlite_module()
    db = connect(":memory:", vectors=True)
    version = db.execute("SELECT sqlite_version(), vec_version()").fetchone()
    print(f"using {module.__name__}: SQLite {version[0]}, sqlite-vec {version[1]}")
    db.execute(
        "CREATE VIRTUAL TABLE f USING fts5(text, content='', contentless_delete=1, "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    db.executemany("INSERT INTO f (rowid, text) VALUES (?, ?)", [(1, "annual leave"), (2, "x")])
    db.execute("DELETE FROM f WHERE rowid = 2")
    assert db.execute("SELECT rowid FROM f WHERE f MATCH 'leaves'").fetchall() == [(1,)]
    db.execute(
        "CREATE VIRTUAL TABLE v USING vec0(id INTEGER PRIMARY KEY, c INTEGER PARTITION KEY, "
        "acl INTEGER, e FLOAT[2] distance_metric=cosine)"
    )
    db.execute("CREATE TABLE m (principal TEXT, acl INTEGER)")
    db.executemany("INSERT INTO m VALUES (?, ?)", [("public", 1), ("team:hr", 2)])
    rows = [(1, 1, 2, (1.0, 0.0)), (2, 1, 1, (0.9, 0.1)), (3, 2, 1, (1.0, 0.0))]
    db.executemany(
        "INSERT INTO v VALUES (?, ?, ?, ?)",
        [(i, c, a, struct.pack("2f", *e)) for i, c, a, e in rows],
    )
    found = db.execute(
        "SELECT id FROM v WHERE e MATCH ? AND k = 1 AND c = 1 AND acl IN "
        "(SELECT acl FROM m WHERE principal IN ('public'))",
        (struct.pack("2f", 1.0, 0.0),),
    ).fetchall()
    assert found == [(2,)], found
    print("fts5 contentless-delete BM25: ok; vec0 KNN with partition + ACL IN (subquery): ok")


if __name__ == "__main__":
    main()
