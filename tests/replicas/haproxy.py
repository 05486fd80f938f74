"""Debian's haproxy in front of gateway replicas: round robin, health checks on `/readyz`,
and retries that redispatch a request whose connection to a replica failed."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.gateway_process import free_port

# The response header that names the replica which answered (or whose failure haproxy turned
# into an error), so a test can tell which errors came from the replica it killed.
REPLICA_HEADER = "x-switchgear-replica"


def haproxy_config(port: int, replicas: Sequence[int], stats_socket: Path) -> str:
    """The config an operator would write, generated for loopback ports."""
    servers = "\n".join(
        f"    server r{n} 127.0.0.1:{replica}" for n, replica in enumerate(replicas, start=1)
    )
    return f"""
global
    maxconn 4096
    stats socket {stats_socket} mode 600 level admin
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    # A connection refused by a dead replica is tried again on another one: `retries` with
    # `redispatch` on every retry. Only connection failures are retried (haproxy's default
    # `retry-on conn-failure`): a request a replica had already received is never replayed,
    # because a chat completion is not idempotent (it is charged and ledgered).
    retries 3
    option redispatch 1
    # A fresh server connection per request. A request sent on a kept-alive connection to a
    # replica that just died would get no answer (haproxy cannot tell whether the replica saw
    # it, so it closes the client connection); on a fresh one the failure is a refused
    # connection, which the retry above sends to a live replica. Loopback connects are cheap.
    option http-server-close

frontend gateway
    bind 127.0.0.1:{port}
    default_backend replicas
    http-after-response set-header {REPLICA_HEADER} %[srv_name]

backend replicas
    balance roundrobin
    option httpchk
    # HTTP/1.1 with a loopback Host: a replica bound to loopback refuses other names.
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
    default-server check inter 300ms fall 2 rise 2
{servers}
"""


def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"haproxy exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("haproxy did not start listening")


def stats(stats_socket: Path) -> dict[str, dict[str, str]]:
    """`show stat` from haproxy's admin socket: one row per server, by server name."""
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(str(stats_socket))
        client.sendall(b"show stat\n")
        raw = b""
        while chunk := client.recv(65536):
            raw += chunk
    header, *rows = raw.decode().strip().splitlines()
    names = header.lstrip("# ").split(",")
    table = [dict(zip(names, row.split(","), strict=False)) for row in rows]
    return {row["svname"]: row for row in table if row["pxname"] == "replicas"}


def _status(stats_socket: Path, server: str) -> str:
    try:
        return stats(stats_socket)[server]["status"]
    except OSError:  # haproxy opens its admin socket just after its listeners
        return "starting"


def wait_for_status(stats_socket: Path, server: str, status: str, timeout: float = 30) -> None:
    """Waits until haproxy's health checks report `server` as `status` (UP or DOWN)."""
    deadline = time.monotonic() + timeout
    while not _status(stats_socket, server).startswith(status):
        if time.monotonic() > deadline:
            raise RuntimeError(f"haproxy never saw {server} {status}")
        time.sleep(0.1)


@contextmanager
def haproxy(replicas: Sequence[int], workdir: Path) -> Iterator[tuple[str, Path]]:
    """Yields haproxy's URL and its admin socket, once every replica passes its check."""
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(binary).exists():
        raise RuntimeError("haproxy is not installed; scripts/test-services.sh installs it")
    workdir.mkdir(parents=True, exist_ok=True)
    port, stats_socket = free_port(), workdir / "haproxy.sock"
    config = workdir / "haproxy.cfg"
    config.write_text(haproxy_config(port, replicas, stats_socket))
    log = (workdir / "haproxy.log").open("wb")
    # -db: stay in the foreground, so the test owns the process and its exit.
    process = subprocess.Popen(
        [binary, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        _wait_listening(port, process)
        for n in range(1, len(replicas) + 1):
            wait_for_status(stats_socket, f"r{n}", "UP")
        yield f"http://127.0.0.1:{port}", stats_socket
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()
