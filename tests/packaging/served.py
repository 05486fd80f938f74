"""Runs a `switchgear serve` command line exactly as written somewhere else (an installed
venv's console script, the image's CMD) as a real process, until its /readyz answers 200.

`tests.gateway_process.GatewayProcess` always runs this checkout's `python -m switchgear.cli`;
these tests must run someone else's command instead, so they start it themselves.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def serving(
    args: list[str], port: int, env: dict[str, str], log_path: Path, timeout: float = 180.0
) -> Iterator[str]:
    """The base URL of `args` once it is ready; SIGTERM (as an operator would) on the way out."""
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            args, env=env, cwd=log_path.parent, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_ready(process, " ".join(args), base_url, log_path, timeout)
            yield base_url
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_ready(
    process: subprocess.Popen[bytes], command: str, base_url: str, log_path: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{command} exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{command} not ready in {timeout}s:\n{log_path.read_text()}")
