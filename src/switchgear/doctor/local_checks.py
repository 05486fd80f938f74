"""The checks that need no model and no upstream: the config, the data directory, the store
and the servers it may live on (Postgres, Redis)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from switchgear.config import Config, ConfigError, load_config
from switchgear.doctor.findings import Finding, fail, ok, warn

EXAMPLE = "see switchgear.example.yaml"
CONNECT_TIMEOUT_S = 3


def check_config(path: str | None) -> tuple[Config | None, Finding]:
    if path is None:
        finding = ok("config", "no config file: the embedded model alone (the defaults)")
        return load_config(None), finding
    try:
        config = load_config(path)
    except ConfigError as error:
        if not Path(path).is_file():
            fix = "pass --config an existing file (or correct $SWITCHGEAR_CONFIG)"
        else:  # the message reads `file:line: field: problem`
            fix = f"correct that line of {path} ({EXAMPLE})"
        return None, fail("config", str(error), fix)
    models = len(config.models)
    return config, ok("config", f"{path} loads ({models} model{'s' * (models != 1)})")


def check_data_dir(config: Config) -> Finding:
    """Writes and removes a file there, as the ledger, keys and knowledge index will."""
    folder = config.resolved_data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as error:
        return fail(
            "data dir",
            f"cannot write to {folder}: {error.strerror or error}",
            "set $SWITCHGEAR_DATA_DIR (or `data_dir:` in the config) to a folder this user "
            f"may write, or fix the permissions of {folder}",
        )
    return ok("data dir", f"{folder} is writable")


def check_postgres(config: Config) -> list[Finding]:
    """The usage store's database and the knowledge index's, where either is Postgres."""
    found = []
    url = config.resolved_database_url()
    if url and url.startswith(("postgres://", "postgresql://")):
        found.append(_reach_postgres("postgres", url, "database_url (or $SWITCHGEAR_DATABASE_URL)"))
    knowledge = config.knowledge
    if knowledge.backend == "postgres":
        variable = knowledge.postgres_dsn_env
        dsn = os.environ.get(variable)
        if not dsn:
            found.append(
                fail(
                    "postgres (knowledge)",
                    f"knowledge.backend is postgres but ${variable} is not set",
                    f"export {variable}=postgresql://user:password@host/db",
                )
            )
        else:
            found.append(_reach_postgres("postgres (knowledge)", dsn, f"${variable}"))
    return found


def _reach_postgres(check: str, dsn: str, setting: str) -> Finding:
    import psycopg

    try:
        with psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S) as connection:
            row = connection.execute("SHOW server_version").fetchone()
    except psycopg.Error as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        return fail(
            check,
            f"cannot connect: {first_line}",
            f"start Postgres, or correct {setting}",
        )
    version = row[0] if row else "?"
    return ok(check, f"connected (PostgreSQL {version})")


def check_store(config: Config) -> Finding:
    """Opens the store the way the gateway does (which applies pending migrations) and checks
    that every migration the database records is one this version knows."""
    from switchgear.store import open_store
    from switchgear.store.migrations import MIGRATIONS

    url = config.resolved_database_url()
    sqlite_file = None if url and url.startswith("postgres") else _sqlite_path(config, url)
    where = "postgres" if sqlite_file is None else f"sqlite {sqlite_file}"
    created = sqlite_file is not None and not sqlite_file.exists()
    try:
        store = open_store(url, config.resolved_data_dir())
    except Exception as error:  # any driver's error: the point is to report it
        return fail(
            "store",
            f"cannot open {where}: {error}",
            "check database_url (or $SWITCHGEAR_DATABASE_URL) and the data dir",
        )
    try:
        recorded = set(store.transaction(_migration_names))
    finally:
        store.close()
    known = {m.name for m in MIGRATIONS}
    unknown = sorted(n for n in recorded if n.split(".")[0] == "ledger" and n not in known)
    if unknown:
        return warn(
            "store",
            f"{where} records migrations this version does not know ({', '.join(unknown)}): "
            "a newer switchgear wrote it",
            "run the switchgear version that migrated this database, or upgrade",
        )
    state = "created now" if created else "opened"
    return ok("store", f"{where} {state}, schema current ({len(known)} migrations)")


def _sqlite_path(config: Config, url: str | None) -> Path:
    if url:
        return Path(url.removeprefix("sqlite:///"))
    return config.resolved_data_dir() / "switchgear.db"


def _migration_names(cursor: Any) -> list[str]:
    cursor.execute("SELECT name FROM schema_migrations")
    return [str(row[0]) for row in cursor.fetchall()]


def check_redis(config: Config) -> Finding | None:
    url = config.resolved_redis_url()
    if config.governance.limiter == "redis" and not url:
        return fail(
            "redis",
            "governance.limiter is redis but no redis_url is set",
            "set redis_url (or $SWITCHGEAR_REDIS_URL), or use limiter: auto",
        )
    if not url:
        return None
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=CONNECT_TIMEOUT_S
    )
    try:
        client.ping()
        version = client.info("server").get("redis_version", "?")
    except redis.RedisError as error:
        return fail(
            "redis",
            f"cannot reach {_without_password(url)}: {error}",
            "start Redis there, or remove redis_url / $SWITCHGEAR_REDIS_URL to keep limits "
            "in memory (one gateway only)",
        )
    finally:
        client.close()
    return ok("redis", f"{_without_password(url)} answers (Redis {version})")


def _without_password(url: str) -> str:
    """A URL fit to print: `redis://:secret@host` loses the secret."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return parts._replace(netloc=f"{user}{host}{port}").geturl()
