from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from switchgear.guards.pii import PiiDetector
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess


@pytest.fixture(scope="session")
def detector() -> PiiDetector:
    """The shipped default: exact recognisers + the Rampart model, loaded once."""
    d = PiiDetector()
    d.load()
    return d


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[str, FakeBehaviour]]:
    """A recording OpenAI-wire fake per test module: what reached the upstream."""
    behaviour = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(behaviour)) as url:
        yield url, behaviour


@pytest.fixture()
def sent(upstream: tuple[str, FakeBehaviour]) -> list[Any]:
    upstream[1].reset()
    return upstream[1].requests  # type: ignore[return-value]


@contextmanager
def guarded_gateway(
    tmp_path_factory: pytest.TempPathFactory, name: str, config: str
) -> Iterator[GatewayProcess]:
    """A real gateway serving `config` (YAML text), the fake's key in its environment."""
    home = tmp_path_factory.mktemp(name)
    path = home / "switchgear.yaml"
    path.write_text(config)
    process = GatewayProcess(home, path, env={"FAKE_KEY": "test-key"})
    try:
        yield process
    finally:
        process.stop()
