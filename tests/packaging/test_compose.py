"""compose.yaml: valid Compose (dclint, which validates against the Compose specification's
schema and lints), wired the way an operator expects, and, since no Docker engine runs here,
the gateway started with exactly the environment and config file compose gives it, against
real Postgres (pgvector) and Redis servers standing in for the two services."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import redis
import yaml

from tests.clients.npm_tools import npm_tool
from tests.gateway_process import TEST_ADMIN_KEY, GatewayProcess
from tests.packaging.repo import REPO
from tests.services import redis_server

COMPOSE = REPO / "compose.yaml"
DCLINT_VERSION = "3.1.0"
# `${NAME}`, `${NAME:-default}`, `${NAME:?error}`: the forms compose.yaml uses.
VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def services() -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return found


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Compose's interpolation: a required variable that is unset or empty is an error."""

    def substitute(match: re.Match[str]) -> str:
        name, kind, word = match[1], match[2], match[3]
        if variables.get(name):
            return variables[name]
        if kind == "?":
            raise LookupError(f"{name}: {word}")
        return word if kind == "-" else ""

    return VARIABLE.sub(substitute, value)


def bind_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> the host file compose mounts there."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *_ = str(volume).split(":")
        if source.startswith("."):
            mounts[target] = REPO / source
    return mounts


def test_compose_file_passes_dclint() -> None:
    dclint = npm_tool("dclint", DCLINT_VERSION, "dclint")
    lint = subprocess.run(
        [str(dclint), "--formatter", "json", "--max-warnings", "0", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    (report,) = json.loads(lint.stdout)
    assert (report["errorCount"], report["warningCount"]) == (0, 0), report["messages"]


def test_gateway_waits_for_healthy_postgres_and_redis_and_keeps_data_in_volumes() -> None:
    found = services()
    assert set(found) == {"gateway", "postgres", "redis"}
    gateway = found["gateway"]
    assert (REPO / gateway["build"]["context"] / "Dockerfile").exists()
    for dependency in ("postgres", "redis"):
        assert found[dependency]["healthcheck"]["test"]
        assert gateway["depends_on"][dependency] == {"condition": "service_healthy"}
    declared = set(yaml.safe_load(COMPOSE.read_text())["volumes"])
    for name in ("gateway", "postgres", "redis"):
        volumes = [str(v).split(":")[0] for v in found[name]["volumes"]]
        assert any(v in declared for v in volumes), f"{name} keeps its data in no named volume"
    assert "gateway-data:/data" in gateway["volumes"]


def test_gateway_environment_points_at_the_postgres_and_redis_services() -> None:
    found = services()
    env = found["gateway"]["environment"]
    postgres = found["postgres"]["environment"]
    for name in ("SWITCHGEAR_DATABASE_URL", "SWITCHGEAR_KNOWLEDGE_POSTGRES_DSN"):
        url = urlsplit(interpolate(env[name], {"POSTGRES_PASSWORD": "pw"}))
        assert (url.hostname, url.port, url.path) == (
            "postgres",
            5432,
            f"/{postgres['POSTGRES_DB']}",
        )
        assert (url.username, url.password) == (postgres["POSTGRES_USER"], "pw")
    assert urlsplit(env["SWITCHGEAR_REDIS_URL"]).hostname == "redis"
    # The config compose names is the file it mounts from deploy/.
    assert bind_mounts(found["gateway"])[env["SWITCHGEAR_CONFIG"]].exists()


def test_compose_refuses_to_start_without_either_secret() -> None:
    found = services()
    values = [
        str(v) for name in ("gateway", "postgres") for v in found[name]["environment"].values()
    ]
    given = {"SWITCHGEAR_ADMIN_KEY": "k", "POSTGRES_PASSWORD": "p"}
    for value in values:
        interpolate(value, given)
    for missing in given:
        errors = []
        for value in values:
            try:
                interpolate(value, {**given, missing: ""})
            except LookupError as error:
                errors.append(str(error))
        # Every use of the secret stops compose, with a message naming it; no default.
        uses = sum(f"${{{missing}" in value for value in values)
        assert len(errors) == uses >= 1 and all(e.startswith(missing) for e in errors), errors


def fresh_database(server_uri: str, name: str) -> str:
    with psycopg.connect(server_uri, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    uri = urlsplit(server_uri)._replace(path=f"/{name}").geturl()
    with psycopg.connect(uri, autocommit=True) as db:
        db.execute("CREATE EXTENSION IF NOT EXISTS vector")
    return uri


def test_gateway_serves_with_what_compose_gives_it(tmp_path: Path, postgres_uri: str) -> None:
    gateway = services()["gateway"]
    secrets = {"SWITCHGEAR_ADMIN_KEY": TEST_ADMIN_KEY, "POSTGRES_PASSWORD": "unused-here"}
    env = {name: interpolate(str(value), secrets) for name, value in gateway["environment"].items()}
    database = fresh_database(postgres_uri, "sg_compose")
    with redis_server() as redis_url:
        # What compose does and a process cannot: service names resolve to the servers, and
        # the mounted config file is where the container would read it.
        real_servers = {"postgres": database, "redis": redis_url}
        mounts = bind_mounts(gateway)
        for name, value in env.items():
            if value in mounts:
                env[name] = str(mounts[value])
            elif "://" in value and urlsplit(value).hostname in real_servers:
                env[name] = real_servers[str(urlsplit(value).hostname)]
        process = GatewayProcess(tmp_path / "gateway", env=env)
        try:
            created = process.admin(
                TEST_ADMIN_KEY, "POST", "/keys", json={"name": "compose-app", "limits": {"rpm": 60}}
            )
            assert created.status_code == 201, created.text
            collection = process.admin(
                TEST_ADMIN_KEY, "POST", "/knowledge/collections", json={"name": "handbook"}
            )
            assert collection.status_code == 201, collection.text
            reply = httpx.post(
                f"{process.base_url}/v1/chat/completions",
                headers={"authorization": f"Bearer {created.json()['key']}"},
                json={
                    "model": "default",
                    "messages": [{"role": "user", "content": "Hi"}],
                    "max_tokens": 8,
                    "temperature": 0,
                },
                timeout=120,
            )
        finally:
            process.stop()
        assert reply.status_code == 200, reply.text
        assert reply.headers["x-ratelimit-limit-requests"] == "60"
        # The key's request counter lives in Redis (shared by replicas), not in the process.
        assert redis.Redis.from_url(redis_url).keys("sg:rpm:*")
    with psycopg.connect(database) as db:
        keys = db.execute("SELECT name FROM api_keys").fetchall()
        usage = db.execute("SELECT count(*) FROM usage").fetchone()
        collections = db.execute("SELECT name FROM knowledge_collections").fetchall()
    # Keys, the ledger and the knowledge index all live in the compose file's Postgres.
    assert keys == [("compose-app",)]
    assert usage == (1,)
    assert collections == [("handbook",)]
