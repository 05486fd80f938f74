"""`switchgear doctor`, run as a process against real upstreams on loopback: what an operator
reads, line by line, and the exit status a script would check."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.cli_process import run_switchgear
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import closed_port_url, run_fake
from tests.gateway_process import GatewayProcess
from tests.services import postgres_server, redis_server

KEY_ENV = "DOCTOR_TEST_OPENAI_KEY"


@pytest.fixture(scope="module")
def openai_url() -> Iterator[str]:
    with run_fake(create_openai_fake(FakeBehaviour(api_key="test-key"))) as url:
        yield url


def remote_config(home: Path, base_url: str, key_env: str = KEY_ENV, extra: str = "") -> Path:
    """A config whose only model is served by one OpenAI-compatible provider `api` (no
    in-process model, so the engine is not loaded)."""
    path = home / "switchgear.yaml"
    path.write_text(
        f"""{extra}
providers:
  api: {{kind: openai_compat, base_url: "{base_url}/v1", api_key_env: {key_env}}}
models:
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini, aliases: [default]}}
"""
    )
    return path


def doctor(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`switchgear doctor`, with no gateway at the URL unless `args` names one."""
    url = [] if "--url" in args else ["--url", closed_port_url()]
    return run_switchgear("doctor", *args, *url, data_dir=home / "data", env=env)


def line_of(output: str, check: str) -> tuple[str, str | None]:
    """The line for `check` and the fix under it (None when there is none)."""
    lines = output.splitlines()
    for n, line in enumerate(lines):
        status, _, rest = line.partition(" ")
        if status in ("ok", "warn", "fail") and rest.lstrip().startswith(f"{check}:"):
            after = lines[n + 1].strip() if n + 1 < len(lines) else ""
            return line, after.removeprefix("fix: ") if after.startswith("fix: ") else None
    raise AssertionError(f"no `{check}` line in:\n{output}")


def test_a_clean_default_install_passes_every_check(
    gateway: GatewayProcess, tmp_path: Path
) -> None:
    done = doctor(tmp_path, "--url", f"{gateway.base_url}/v1")
    assert done.returncode == 0, done.stdout + done.stderr
    statuses = {line.split()[0] for line in done.stdout.splitlines() if not line.startswith(" ")}
    assert statuses == {"ok"}, done.stdout
    assert "fix:" not in done.stdout
    for check in ("config", "data dir", "store", "engine smollm2-135m-instruct", "gateway"):
        line_of(done.stdout, check)
    engine, _ = line_of(done.stdout, "engine smollm2-135m-instruct")
    assert "answered" in engine
    gateway_line, _ = line_of(done.stdout, "gateway")
    assert f"{gateway.base_url} is ready" in gateway_line


def test_a_provider_at_a_closed_port_fails_with_a_fix(tmp_path: Path) -> None:
    dead = closed_port_url()
    config = remote_config(tmp_path, dead)
    done = doctor(tmp_path, "--config", str(config), env={KEY_ENV: "test-key"})
    assert done.returncode == 1
    line, fix = line_of(done.stdout, "provider api")
    assert line == f"fail provider api: nothing answers at {dead}/v1/models (connection refused)"
    assert fix is not None and "providers.api.base_url" in fix and str(config) in fix


def test_a_reachable_provider_passes_and_no_gateway_only_warns(
    tmp_path: Path, openai_url: str
) -> None:
    config = remote_config(tmp_path, openai_url)
    done = doctor(tmp_path, "--config", str(config), env={KEY_ENV: "test-key"})
    assert done.returncode == 0, done.stdout
    line, fix = line_of(done.stdout, "provider api")
    assert line == f"ok   provider api: {openai_url}/v1/models answers (HTTP 200)"
    assert fix is None
    gateway_line, gateway_fix = line_of(done.stdout, "gateway")
    assert gateway_line.startswith("warn gateway: no gateway answers at")
    assert gateway_fix is not None and "switchgear serve" in gateway_fix


def test_a_refused_key_and_an_unlisted_model_are_named(tmp_path: Path, openai_url: str) -> None:
    config = remote_config(tmp_path, openai_url)
    refused = doctor(tmp_path, "--config", str(config), env={KEY_ENV: "wrong-key"})
    assert refused.returncode == 1
    line, fix = line_of(refused.stdout, "provider api")
    assert line.startswith(f"fail provider api: {openai_url}/v1/models refused the key (HTTP 401")
    assert fix == f"check the key in ${KEY_ENV}"

    config.write_text(config.read_text().replace("gpt-4o-mini", "gpt-9-turbo"))
    unlisted = doctor(tmp_path, "--config", str(config), env={KEY_ENV: "test-key"})
    line, fix = line_of(unlisted.stdout, "provider api")
    assert line.startswith("warn provider api:") and "does not list gpt-9-turbo" in line
    assert fix is not None and "upstream_model" in fix


def test_a_missing_api_key_variable_is_named(tmp_path: Path, openai_url: str) -> None:
    config = remote_config(tmp_path, openai_url, key_env="DOCTOR_TEST_NEVER_SET")
    done = doctor(tmp_path, "--config", str(config))
    assert done.returncode == 1
    line, fix = line_of(done.stdout, "provider api")
    assert line == "fail provider api: the API key variable $DOCTOR_TEST_NEVER_SET is not set"
    assert fix is not None and fix.startswith("export DOCTOR_TEST_NEVER_SET=")


def test_a_broken_config_fails_naming_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "broken.yaml"
    config.write_text("server:\n  port: 8080\nmodels:\n  - id: smol\n    provder: local\n")
    done = doctor(tmp_path, "--config", str(config))
    assert done.returncode == 1
    line, fix = line_of(done.stdout, "config")
    assert line.startswith(f"fail config: {config}:5: models[0].provder: unknown field")
    assert fix is not None and str(config) in fix
    # The checks that would read the config are not run against the defaults instead.
    assert "store:" not in done.stdout and "engine" not in done.stdout

    as_json = doctor(tmp_path, "--config", str(config), "--json")
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    first = report["checks"][0]
    assert first["status"] == "fail" and first["check"] == "config"
    assert first["finding"].startswith(f"{config}:5:") and first["fix"]


def test_an_unwritable_data_dir_fails(tmp_path: Path, openai_url: str) -> None:
    config = remote_config(tmp_path, openai_url)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    done = run_switchgear(
        "doctor", "--config", str(config), "--url", closed_port_url(),
        data_dir=blocker / "data", env={KEY_ENV: "test-key"},
    )  # fmt: skip
    assert done.returncode == 1
    line, fix = line_of(done.stdout, "data dir")
    assert line.startswith(f"fail data dir: cannot write to {blocker / 'data'}")
    assert fix is not None and "SWITCHGEAR_DATA_DIR" in fix


def test_a_database_from_a_newer_version_is_flagged(tmp_path: Path, openai_url: str) -> None:
    config = remote_config(tmp_path, openai_url)
    first = doctor(tmp_path, "--config", str(config), env={KEY_ENV: "test-key"})
    line, _ = line_of(first.stdout, "store")
    assert line.startswith("ok   store: sqlite") and "schema current" in line
    with sqlite3.connect(tmp_path / "data" / "switchgear.db") as db:
        db.execute("INSERT INTO schema_migrations VALUES ('ledger.m999_from_the_future', 0)")
    again = doctor(tmp_path, "--config", str(config), env={KEY_ENV: "test-key"})
    line, fix = line_of(again.stdout, "store")
    assert line.startswith("warn store:") and "ledger.m999_from_the_future" in line
    assert fix is not None


def test_the_cpu_line_reports_the_engines_repack_decision(tmp_path: Path) -> None:
    done = doctor(tmp_path, env={"SWITCHGEAR_WEIGHT_REPACK": "off"})
    line, fix = line_of(done.stdout, "cpu")
    assert line.startswith("ok   cpu: llama.cpp weight repacking off: SWITCHGEAR_WEIGHT_REPACK=off")
    assert "CPU AMX:" in line and fix is None
    engine, _ = line_of(done.stdout, "engine smollm2-135m-instruct")
    assert engine.startswith("ok ")


def test_postgres_and_redis_are_reached_when_configured(tmp_path: Path, openai_url: str) -> None:
    with postgres_server() as dsn, redis_server() as redis_url:
        extra = f'database_url: "{dsn}"\nredis_url: "{redis_url}"'
        config = remote_config(tmp_path, openai_url, extra=extra)
        done = doctor(tmp_path, "--config", str(config), env={KEY_ENV: "test-key"})
    assert done.returncode == 0, done.stdout
    assert line_of(done.stdout, "postgres")[0].startswith("ok   postgres: connected (PostgreSQL")
    store, _ = line_of(done.stdout, "store")
    assert store.startswith("ok   store: postgres") and "schema current" in store
    redis_line, _ = line_of(done.stdout, "redis")
    assert redis_line.startswith(f"ok   redis: {redis_url} answers (Redis ")


def test_unreachable_postgres_and_redis_fail_with_fixes(tmp_path: Path, openai_url: str) -> None:
    dead_pg = closed_port_url().replace("http://", "postgresql://postgres@") + "/postgres"
    dead_redis = closed_port_url().replace("http://", "redis://") + "/0"
    extra = f'database_url: "{dead_pg}"\nredis_url: "{dead_redis}"'
    config = remote_config(tmp_path, openai_url, extra=extra)
    done = doctor(tmp_path, "--config", str(config), env={KEY_ENV: "test-key"})
    assert done.returncode == 1
    line, fix = line_of(done.stdout, "postgres")
    assert line.startswith("fail postgres: cannot connect:") and "Connection refused" in line
    assert fix is not None and "database_url" in fix
    line, fix = line_of(done.stdout, "redis")
    assert line.startswith(f"fail redis: cannot reach {dead_redis}")
    assert fix is not None and "redis_url" in fix
    assert "store:" not in done.stdout  # not opened against a database that is not there
