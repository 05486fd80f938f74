from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI

from tests.gateway_process import GatewayProcess


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """One real gateway serving the embedded model, shared by the end-to-end tests."""
    process = GatewayProcess(tmp_path_factory.mktemp("gateway"))
    yield process
    process.stop()


@pytest.fixture()
def client(gateway: GatewayProcess) -> OpenAI:
    return OpenAI(base_url=f"{gateway.base_url}/v1", api_key="unused", max_retries=0, timeout=120)


@pytest.fixture(scope="session")
def postgres_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pgserver = pytest.importorskip("pgserver", reason="pgserver (Postgres + pgvector) missing")
    import psycopg

    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="delete")
    with psycopg.connect(server.get_uri(), autocommit=True) as admin:
        admin.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
    yield server.get_uri()
    server.cleanup()


def ledger_rows(db: Path, where: str = "1=1", params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(f"SELECT * FROM usage WHERE {where}", params).fetchall()


def wait_for_ledger_row(db: Path, request_id: str, timeout: float = 10.0) -> sqlite3.Row:
    """The ledger writes off the request path; a row lands within a few tens of milliseconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = ledger_rows(db, "request_id = ?", (request_id,))
        if rows:
            return rows[0]
        time.sleep(0.05)
    raise AssertionError(f"no ledger row for request {request_id}")
