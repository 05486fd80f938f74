"""Two fake OpenAI upstreams, `east` and `west`, behind one real gateway process: the set-up
the retry, fallback and metrics tests share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess

KEY_ENV = {"FAKE_OPENAI_KEY": "test-key"}
EAST, WEST = "gpt-east@east", "gpt-west@west"

_UPSTREAMS = """
providers:
  east: {{kind: openai_compat, base_url: "{east}/v1", api_key_env: FAKE_OPENAI_KEY}}
  west: {{kind: openai_compat, base_url: "{west}/v1", api_key_env: FAKE_OPENAI_KEY}}
models:
  - {{id: gpt-east, provider: east, upstream_model: gpt-4o-mini}}
  - {{id: gpt-west, provider: west, upstream_model: gpt-4o-mini}}
"""


class Upstreams:
    def __init__(self) -> None:
        self.east = FakeBehaviour(api_key="test-key")
        self.west = FakeBehaviour(api_key="test-key")

    def reset(self) -> None:
        self.east.reset()
        self.west.reset()


@contextmanager
def gateway_in_front(upstreams: Upstreams, home: Path, config: str) -> Iterator[GatewayProcess]:
    """A gateway serving both upstreams as `gpt-east` and `gpt-west`, plus `config` (YAML:
    routes, resilience)."""
    with (
        run_fake(create_openai_fake(upstreams.east)) as east,
        run_fake(create_openai_fake(upstreams.west)) as west,
    ):
        path = home / "switchgear.yaml"
        path.write_text(_UPSTREAMS.format(east=east, west=west) + config)
        process = GatewayProcess(home, path, env=KEY_ENV)
        try:
            yield process
        finally:
            process.stop()
