"""One real embedding model for the whole knowledge suite; a fresh real store per test, on
SQLite and on Postgres (pgvector, started by the `pgserver` wheel) when that is installed."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from switchgear.knowledge.config import KnowledgeConfig
from switchgear.knowledge.embedder import MiniLmOnnx
from switchgear.knowledge.service import Knowledge
from switchgear.knowledge.sqlite_index import SqliteKnowledgeStore
from switchgear.knowledge.store import KnowledgeStore

OpenKnowledge = Callable[..., Knowledge]


@pytest.fixture(scope="session")
def embedder() -> MiniLmOnnx:
    model = MiniLmOnnx(batch_size=32, threads=1)
    model.load()
    return model


@pytest.fixture(params=["sqlite", "postgres"])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], KnowledgeStore]:
    """Opens the store under test; calling it again reopens the same database."""
    if request.param == "sqlite":
        return lambda: SqliteKnowledgeStore(tmp_path / "knowledge.db")
    import psycopg
    from psycopg.conninfo import make_conninfo

    from switchgear.knowledge.postgres_index import PostgresKnowledgeStore

    uri = request.getfixturevalue("postgres_uri")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(uri, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    dsn = make_conninfo(uri, options=f"-c search_path={schema},public")
    return lambda: PostgresKnowledgeStore(dsn)


@pytest.fixture()
def open_knowledge(
    new_store: Callable[[], KnowledgeStore], embedder: MiniLmOnnx
) -> Iterator[OpenKnowledge]:
    """`open_knowledge(**knowledge_yaml)`: a `Knowledge` over a fresh store, configured for the
    suite's one MiniLM model (loaded once; E5, the default, is tested where it is named)."""
    opened: list[Knowledge] = []

    def open_(**section: Any) -> Knowledge:
        section.setdefault("embedding", {"model": "minilm-l6-v2-int8"})
        config = msgspec.convert(section, KnowledgeConfig, strict=True)
        knowledge = Knowledge(config, new_store(), embedder)
        opened.append(knowledge)
        return knowledge

    yield open_
    for knowledge in opened:
        knowledge.close()
