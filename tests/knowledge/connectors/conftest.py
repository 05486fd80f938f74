"""A connector hub over the knowledge suite's real stores (SQLite and Postgres) and model."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from switchgear.knowledge.acl import Reader
from switchgear.knowledge.connectors.hub import ConnectorHub
from switchgear.knowledge.service import Knowledge
from tests.knowledge.conftest import OpenKnowledge

OpenHub = Callable[..., tuple[Knowledge, ConnectorHub]]


@pytest.fixture()
def open_hub(open_knowledge: OpenKnowledge, tmp_path: Path) -> Iterator[OpenHub]:
    """`open_hub(connectors={...}, **knowledge_yaml)`: the knowledge service and its hub."""
    hubs: list[ConnectorHub] = []

    def open_(**section: Any) -> tuple[Knowledge, ConnectorHub]:
        knowledge = open_knowledge(**section)
        hub = ConnectorHub(lambda: knowledge, knowledge.config.connectors, tmp_path / "data")
        hubs.append(hub)
        return knowledge, hub

    yield open_
    for hub in hubs:
        hub.close()


def sources_seen(knowledge: Knowledge, query: str, collection: str, **reader: str) -> set[str]:
    """The documents a reader with these attributes retrieves for `query`."""
    passages = knowledge.search(query, collection, Reader(**reader), top_k=20)
    return {p.source for p in passages}
