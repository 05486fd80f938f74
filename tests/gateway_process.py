"""Runs a real `switchgear serve` process on a free loopback port for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class GatewayProcess:
    def __init__(
        self,
        data_dir: Path,
        config: Path | None = None,
        env: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        """`port`: chosen beforehand where the config must name the gateway's own URL."""
        self.data_dir = data_dir
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "gateway.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        args = [sys.executable, "-m", "switchgear.cli", "serve", "--port", str(self.port)]
        if config is not None:
            args[3:3] = ["--config", str(config)]
        env = {**os.environ, **(env or {}), "SWITCHGEAR_DATA_DIR": str(data_dir)}
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited early:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gateway not ready in {timeout}s:\n{self.log_path.read_text()}")

    def stop(self) -> int:
        """A clean shutdown (SIGTERM), as an operator would do it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def admin(self, admin_key: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to `/admin{path}` with the admin key."""
        headers = {"authorization": f"Bearer {admin_key}", **kwargs.pop("headers", {})}
        return httpx.request(
            method, f"{self.base_url}/admin{path}", headers=headers, timeout=120, **kwargs
        )

    @property
    def db_path(self) -> Path:
        return self.data_dir / "switchgear.db"


TEST_ADMIN_KEY = "sg-admin-key-for-tests"


@contextmanager
def keyed_gateway(
    home: Path, config: str, *names: str, env: dict[str, str] | None = None
) -> Iterator[tuple[GatewayProcess, list[str]]]:
    """A gateway serving `config` (YAML text) with the admin key `TEST_ADMIN_KEY`, and one
    virtual key per name in `names`, created through the admin API as an operator would."""
    path = home / "switchgear.yaml"
    path.write_text(config)
    process = GatewayProcess(
        home, path, env={"SWITCHGEAR_ADMIN_KEY": TEST_ADMIN_KEY, **(env or {})}
    )
    try:
        keys = []
        for name in names:
            created = process.admin(TEST_ADMIN_KEY, "POST", "/keys", json={"name": name})
            assert created.status_code == 201, created.text
            keys.append(str(created.json()["key"]))
        yield process, keys
    finally:
        process.stop()
