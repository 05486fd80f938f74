"""The command line: chat (through a gateway or in-process), models, usage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.gateway_process import GatewayProcess, free_port


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SWITCHGEAR_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "switchgear.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def test_chat_streams_from_a_running_gateway(gateway: GatewayProcess) -> None:
    result = run_cli(
        "chat",
        "Say hello.",
        "--max-tokens",
        "8",
        "--url",
        f"{gateway.base_url}/v1",
        data_dir=gateway.data_dir,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "no gateway answers" not in result.stderr


def test_chat_with_no_gateway_fails_fast_and_says_what_to_do(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    result = run_cli("chat", "Say hello.", "--max-tokens", "8", "--url", f"{closed}/v1",
                     data_dir=tmp_path)  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"switchgear chat: no gateway answers at {closed}; start one with `switchgear serve`, "
        "or pass --local to answer in-process"
    ]
    assert not (tmp_path / "switchgear.db").exists()  # nothing was answered in-process


def test_chat_local_answers_in_process_quietly(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/v1"
    result = run_cli("chat", "Say hello.", "--max-tokens", "8", "--local", "--url", closed,
                     data_dir=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert result.stderr == ""  # the answer alone: no server or engine notices
    usage = run_cli("usage", data_dir=tmp_path)
    assert usage.returncode == 0
    line = next(ln for ln in usage.stdout.splitlines() if ln.startswith("smollm2-135m-instruct"))
    assert line.split()[1:4] == ["local", "ok", "1"]


def test_models_lists_the_embedded_model(tmp_path: Path) -> None:
    result = run_cli("models", data_dir=tmp_path)
    assert result.returncode == 0
    assert "smollm2-135m-instruct" in result.stdout
    assert "default" in result.stdout


def test_usage_with_an_empty_data_dir(tmp_path: Path) -> None:
    result = run_cli("usage", data_dir=tmp_path / "fresh")
    assert result.returncode == 0
    assert "No usage recorded yet" in result.stdout


def test_usage_grouped_by_model_as_csv(gateway: GatewayProcess) -> None:
    import httpx

    body = {"model": "default", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}
    assert httpx.post(f"{gateway.base_url}/v1/chat/completions", json=body).status_code == 200
    result = run_cli("usage", "--by", "model,day", "--format", "csv", data_dir=gateway.data_dir)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.startswith("model,day,requests")
    assert any(row.startswith("smollm2-135m-instruct,") for row in rows)


def test_version_and_help_on_every_option(tmp_path: Path) -> None:
    import argparse
    from importlib.metadata import version

    from switchgear.cli import build_parser

    shown = run_cli("--version", data_dir=tmp_path)
    assert shown.returncode == 0 and shown.stdout.strip() == f"switchgear {version('switchgear')}"
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    undocumented = [
        f"{name} {'/'.join(action.option_strings) or action.dest}"
        for name, sub in commands.choices.items()
        for action in sub._actions
        if not action.help and not isinstance(action, argparse._HelpAction)
    ]
    assert undocumented == []
    assert len(commands.choices) >= 10


def test_chat_takes_a_key_and_a_url_with_or_without_v1(tmp_path: Path) -> None:
    admin = "admin-secret-cli"
    process = GatewayProcess(tmp_path / "gw", env={"SWITCHGEAR_ADMIN_KEY": admin})
    try:
        key = process.admin(admin, "POST", "/keys", json={"name": "cli"}).json()["key"]
        refused = run_cli("chat", "hi", "--url", process.base_url, data_dir=tmp_path)
        assert refused.returncode == 1 and "401" in refused.stderr
        assert "--api-key" in refused.stderr
        for url in (process.base_url, f"{process.base_url}/v1/", f"{process.base_url}/"):
            answered = subprocess.run(
                [sys.executable, "-m", "switchgear.cli", "chat", "Say hi.", "--max-tokens", "4",
                 "--url", url],
                capture_output=True, text=True, timeout=180,
                env={**os.environ, "SWITCHGEAR_API_KEY": key, "SWITCHGEAR_DATA_DIR": str(tmp_path)},
            )  # fmt: skip
            assert answered.returncode == 0, answered.stderr
            assert answered.stdout.strip() and "in-process" not in answered.stderr
    finally:
        process.stop()
