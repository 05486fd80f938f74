"""A third-party plugin, installed as a package of its own, adds a provider kind, a PII
recogniser and a pipeline stage, and a config uses all three without touching `src/`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.gateway_process import GatewayProcess

PLUGIN = Path(__file__).parent / "switchgear-example-plugin"
CONFIG = """
providers:
  loud: {kind: shouting, base_url: "http://unused.invalid", options: {suffix: " !!"}}
models:
  - {id: shouter, provider: loud}
guards:
  default: hr
  policies:
    "off": {}
    hr: {pii: {per_entity: {EMPLOYEE_ID: redact}, use_model: false}}
pipeline:
  stages: [auth, template, knowledge, guards.in, example.trace, route, guards.out, ledger]
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip install` of the plugin into a folder of its own (no network, no build isolation)."""
    target = tmp_path_factory.mktemp("plugin-site")
    source = tmp_path_factory.mktemp("plugin-source") / PLUGIN.name
    shutil.copytree(PLUGIN, source)  # the build writes next to its sources: not in the repo
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--target", str(target), str(source)],
        check=True,
    )  # fmt: skip
    return target


@pytest.fixture(scope="module")
def gateway(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    home = tmp_path_factory.mktemp("plugin-gateway")
    config = home / "switchgear.yaml"
    config.write_text(CONFIG)
    env = {"PYTHONPATH": str(site), "EXAMPLE_TRACE_FILE": str(home / "trace.txt")}
    process = GatewayProcess(home, config, env=env)
    yield process
    process.stop()


def test_the_plugin_provider_answers_and_its_recogniser_guards(gateway: GatewayProcess) -> None:
    response = httpx.post(
        f"{gateway.base_url}/v1/chat/completions",
        json={"model": "shouter", "messages": [{"role": "user", "content": "badge EMP-123456"}]},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    answer = response.json()["choices"][0]["message"]["content"]
    # The provider saw the redacted text (and shouted it back); the raw ID never reached it.
    assert answer == "BADGE [EMPLOYEE_ID] !!"
    assert response.headers["x-switchgear-target"] == "shouter@loud"


def test_the_plugin_stage_runs_in_its_configured_place(gateway: GatewayProcess) -> None:
    httpx.post(
        f"{gateway.base_url}/v1/completions",
        json={"model": "shouter", "prompt": "hello"},
        timeout=30,
    ).raise_for_status()
    httpx.get(f"{gateway.base_url}/v1/models", timeout=30).raise_for_status()
    trace = (gateway.data_dir / "trace.txt").read_text().splitlines()
    assert "completions ok" in trace and "models ok" in trace


def test_an_unknown_kind_names_the_installed_ones(site: Path, tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(CONFIG.replace("kind: shouting", "kind: whispering"))
    result = subprocess.run(
        [sys.executable, "-m", "switchgear.cli", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode != 0
    assert "unknown provider kind `whispering`" in result.stderr
    assert "shouting" in result.stderr  # the plugin's kind is listed among the known ones
