"""Throwaway Postgres and Redis servers on free loopback ports, for the tests that need them.

They come from Debian's packages (`.ci/run` installs them); nothing here is mocked.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.gateway_process import free_port


def _as_postgres_user(args: list[str]) -> list[str]:
    # Postgres refuses to run as root; CI runs as root.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a DSN for an empty database in a fresh cluster."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        raise RuntimeError("PostgreSQL is not installed; run .ci/run or apt-get install postgresql")
    bin_dir = os.path.dirname(binaries[-1])
    home = tempfile.mkdtemp(prefix="sg-pg-")
    os.chmod(home, 0o777)
    data = os.path.join(home, "data")
    port = free_port()
    subprocess.run(
        _as_postgres_user([f"{bin_dir}/initdb", "-D", data, "-U", "postgres", "--auth=trust"]),
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        _as_postgres_user(
            [
                f"{bin_dir}/postgres",
                "-D",
                data,
                "-p",
                str(port),
                "-k",
                home,
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while (
            subprocess.run(
                [f"{bin_dir}/pg_isready", "-h", "127.0.0.1", "-p", str(port)], capture_output=True
            ).returncode
            != 0
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("postgres did not start")
            time.sleep(0.2)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "Redis is not installed; `make test` installs it (scripts/test-services.sh)"
        )
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=15)
