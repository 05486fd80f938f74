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
    assert "answering in-process" not in result.stderr


def test_chat_answers_in_process_when_no_gateway_runs(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/v1"
    result = run_cli("chat", "Say hello.", "--max-tokens", "8", "--url", closed, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "answering in-process" in result.stderr
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
