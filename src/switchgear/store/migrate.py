"""One migration mechanism for every database this project keeps (the usage/audit store and the
knowledge index, on SQLite and on Postgres): named, append-only migrations, each recorded in
`schema_migrations` with the time it was applied.

Names carry their set (`ledger.m001_tables`, `knowledge.m001_tables`), so several sets can
share one Postgres database. Never edit or rename a migration that has shipped; add the next.
All pending migrations of a set apply in one transaction, under a lock, so replicas starting
together migrate once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

T = TypeVar("T")
Dialect = Literal["sqlite", "postgres"]
# Runs `work(cursor)` in one transaction and returns its result (each store has its own).
Transaction = Callable[[Callable[[Any], Any]], Any]
_POSTGRES_LOCK = 7311  # pg_advisory_xact_lock key: one migrator at a time


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    apply: Callable[[Any], None]  # gets a DB-API cursor inside the migration transaction


def sql_migration(name: str, *statements: str) -> Migration:
    """A migration that is a list of SQL statements."""

    def apply(cursor: Any) -> None:
        for statement in statements:
            cursor.execute(statement)

    return Migration(name, apply)


def apply_migrations(
    transaction: Transaction,
    migrations: Sequence[Migration],
    dialect: Dialect,
    *,
    legacy_version_table: str | None = None,
) -> list[str]:
    """Applies the migrations not yet recorded; returns the names applied now.

    `legacy_version_table`: a database made before named migrations kept a single version
    number there; the first that many migrations of this set count as applied."""
    mark = "?" if dialect == "sqlite" else "%s"

    def run(cursor: Any) -> list[str]:
        if dialect == "postgres":
            cursor.execute(f"SELECT pg_advisory_xact_lock({_POSTGRES_LOCK})")
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
        )
        cursor.execute("SELECT name FROM schema_migrations")
        done = {str(row[0]) for row in cursor.fetchall()}
        adopted = 0
        if legacy_version_table and not done & {m.name for m in migrations}:
            adopted = _legacy_version(cursor, dialect, legacy_version_table)
        applied = []
        for number, migration in enumerate(migrations, start=1):
            if migration.name in done:
                continue
            if number > adopted:
                migration.apply(cursor)
                applied.append(migration.name)
            cursor.execute(
                f"INSERT INTO schema_migrations (name, applied_at) VALUES ({mark}, {mark})",
                (migration.name, time.time()),
            )
        return applied

    result: list[str] = transaction(run)
    return result


def _legacy_version(cursor: Any, dialect: Dialect, table: str) -> int:
    if dialect == "sqlite":
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
        exists = cursor.fetchone() is not None
    else:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
        exists = bool(cursor.fetchone()[0])
    if not exists:
        return 0
    cursor.execute(f"SELECT MAX(version) FROM {table}")
    return int(cursor.fetchone()[0] or 0)


def sqlite_transaction(db: Any) -> Transaction:
    """`BEGIN IMMEDIATE` … `COMMIT` on an autocommit-mode SQLite connection."""

    def transaction(work: Callable[[Any], T]) -> T:
        cursor = db.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            result = work(cursor)
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")
        return result

    return transaction
