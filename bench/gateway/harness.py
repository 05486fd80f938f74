"""Starts and stops the servers a gateway benchmark compares, all on 127.0.0.1.

Peers come from the shared bench-peers scripts (`$SWITCHGEAR_BENCH_PEERS`, else
`../shared/bench-peers` beside the repo): the mock upstream, the minimal Starlette+aiohttp
proxy, TensorZero's embedded gateway and the LiteLLM proxy (from the venvs their `run.sh`
makes under `~/.cache/bench-peers`). Nothing here talks to any address but loopback.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
PYTHON = str(REPO / ".venv" / "bin" / "python")
MOCK_MODEL = "mock-gpt"
PACED_MODEL = "mock-paced"
PEER_KEY = "sk-local-test"  # the master key in the shared LiteLLM config and the minimal proxy
# TensorZero names models this way on its OpenAI-compatible endpoint.
TZ_PREFIX = "tensorzero::model_name::"

# No proxies, ever: every request here goes to loopback.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def peers_dir() -> Path:
    env = os.environ.get("SWITCHGEAR_BENCH_PEERS")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "bench-peers", Path("/work/shared/bench-peers")]
    for path in candidates:
        if (path / "loadgen.py").is_file():
            return path
    raise SystemExit(
        "bench-peers scripts not found: set SWITCHGEAR_BENCH_PEERS to the folder holding "
        "loadgen.py and mock_upstream.py"
    )


def peer_venv(name: str) -> Path:
    return Path(os.environ.get("PEER_VENVS", str(Path.home() / ".cache" / "bench-peers"))) / name


def assert_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"refusing non-loopback address {url!r}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None, timeout=5.0
) -> tuple[int, bytes, dict[str, str]]:
    """One request (loopback only); returns status, body and lower-cased headers."""
    assert_loopback(url)
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("content-type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with _opener.open(request, timeout=timeout) as response:
            hdrs = {k.lower(): v for k, v in response.headers.items()}
            return response.status, response.read(), hdrs
    except urllib.error.HTTPError as error:
        hdrs = {k.lower(): v for k, v in error.headers.items()}
        return error.code, error.read(), hdrs


def python_with(*modules: str) -> str | None:
    """A Python that can import all `modules`: the minimal proxy needs aiohttp, which
    Switchgear's own venv lacks; the LiteLLM venv and our stack venv have it."""
    override = os.environ.get("SWITCHGEAR_BENCH_MINIMAL_PYTHON")
    candidates = [override] if override else []
    candidates += [
        str(peer_venv("litellm") / "bin" / "python"),
        str(Path.home() / ".cache" / "switchgear-bench" / "stack" / "bin" / "python"),
        PYTHON,
    ]
    probe = "import " + ", ".join(modules)
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            ok = subprocess.run([candidate, "-c", probe], capture_output=True).returncode == 0
            if ok:
                return candidate
    return None


@dataclass
class Server:
    name: str
    base_url: str  # ends in /v1 (OpenAI-compatible base)
    process: subprocess.Popen[bytes]
    model: str = MOCK_MODEL
    paced_model: str | None = None  # the model that goes to the paced upstream, if any
    key: str | None = None
    log: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid


class Fleet:
    """The processes of one benchmark run; `stop()` ends every one it started."""

    def __init__(self, keep_logs: bool = False) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="switchgear-bench-"))
        self.servers: dict[str, Server] = {}
        self.keep_logs = keep_logs
        self.peers = peers_dir()

    # -- process plumbing -----------------------------------------------------------------

    def _spawn(
        self, name: str, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.work / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                cwd=str(cwd or REPO),
                start_new_session=True,  # its own process group: stop() ends it and its children
            )
        return process, log

    def _wait(self, name: str, process: subprocess.Popen[bytes], ready, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log = (self.work / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log}")
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{name} not ready after {timeout:.0f}s (log: {self.work / name}.log)")

    def stop_one(self, name: str) -> None:
        server = self.servers.pop(name, None)
        if server is not None:
            terminate(server.process)

    def stop(self) -> None:
        for server in reversed(list(self.servers.values())):
            terminate(server.process)
        self.servers.clear()
        if not self.keep_logs:
            shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- servers --------------------------------------------------------------------------

    def _start_upstream(self, name: str, argv: list[str], port: int) -> Server:
        process, log = self._spawn(name, argv)
        base = f"http://127.0.0.1:{port}/v1"
        self._wait(name, process, lambda: http("GET", base + "/models")[0] == 200, 30)
        server = Server(name, base, process, log=log)
        self.servers[name] = server
        return server

    def loadgen(
        self,
        server: Server,
        mock: Server,
        concurrency: int,
        requests: int,
        *,
        max_seconds: float,
        warmup: int,
        stream: bool,
        name: str,
        api_key: str | None = None,
    ) -> dict[str, Any]:
        """One cell of bench-peers' load generator against `server`; its JSON result."""
        out = self.work / f"lg-{name}-{concurrency}-{int(stream)}-{time.monotonic_ns()}.json"
        argv = [
            PYTHON,
            str(self.peers / "loadgen.py"),
            "--client",
            "raw",
            "--target",
            f"{name}={server.base_url}",
            "--model",
            server.model,
            "--concurrency",
            str(concurrency),
            "--requests",
            str(requests),
            "--max-seconds",
            str(max_seconds),
            "--warmup",
            str(warmup),
            "--pid",
            f"mock={mock.pid}",
            "--json-out",
            str(out),
        ]
        if name != "direct":
            argv += ["--pid", f"{name}={server.pid}"]
        if api_key or server.key:
            argv += ["--api-key", api_key or server.key]
        if stream:
            argv.append("--stream")
        timeout = max_seconds * 2 + 120
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, timeout=timeout)
        result: dict[str, Any] = json.loads(out.read_text())["results"][name][0]
        out.unlink()
        return result

    def start_mock(self, name: str = "mock") -> Server:
        port = free_port()
        argv = [PYTHON, str(self.peers / "mock_upstream.py"), "--port", str(port), "--quiet"]
        return self._start_upstream(name, argv, port)

    def start_paced(
        self, ttft_ms: float, gap_ms: float, chunks: int, name: str = "paced"
    ) -> Server:
        port = free_port()
        argv = [
            PYTHON,
            str(Path(__file__).with_name("paced_upstream.py")),
            "--port",
            str(port),
            "--ttft-ms",
            str(ttft_ms),
            "--gap-ms",
            str(gap_ms),
            "--chunks",
            str(chunks),
        ]
        return self._start_upstream(name, argv, port)

    def start_switchgear(
        self,
        upstream: str,
        paced_upstream: str | None = None,
        pool: int = 256,
        name: str = "switchgear",
        extra_yaml: str = "",
        patches: str | None = None,
        src: Path | None = None,
    ) -> Server:
        """Full pipeline: key auth (a virtual key made through the admin API), routing, the
        SQLite ledger; no guards. The upstream is an `openai_compat` provider."""
        port = free_port()
        data_dir = self.work / f"{name}-data"
        data_dir.mkdir()
        providers = {"mock": upstream}
        models = [(MOCK_MODEL, "mock")]
        if paced_upstream:
            providers["paced"] = paced_upstream
            models.append((PACED_MODEL, "paced"))
        lines = ["server:", "  host: 127.0.0.1", f"  port: {port}", "providers:"]
        for provider, url in providers.items():
            lines += [
                f"  {provider}:",
                "    kind: openai_compat",
                f"    base_url: {url}",
                "    self_hosted: true",
                f"    max_concurrency: {pool}",
            ]
        lines.append("models:")
        for model, provider in models:
            lines += [f"  - id: {model}", f"    provider: {provider}"]
            lines.append("    upstream_model: mock-model")
        config = self.work / f"{name}.yaml"
        config.write_text("\n".join(lines) + "\n" + extra_yaml)
        admin = "sg-admin-" + secrets.token_hex(12)
        env = {"SWITCHGEAR_ADMIN_KEY": admin, "SWITCHGEAR_DATA_DIR": str(data_dir)}
        if src is not None:  # another checkout's code (a baseline), same interpreter and deps
            env["PYTHONPATH"] = str(src)
        argv = [PYTHON, "-m", "switchgear.cli", "serve", "--config", str(config)]
        if patches:  # candidate fixes patched in at start-up (bench/gateway/whatif.py)
            whatif = str(Path(__file__).with_name("whatif.py"))
            argv = [PYTHON, whatif, "--patches", patches, "--", *argv[3:]]
        argv += ["--port", str(port)]
        process, log = self._spawn(name, argv, env)
        root = f"http://127.0.0.1:{port}"
        self._wait(name, process, lambda: http("GET", root + "/readyz")[0] == 200, 60)
        status, body, _ = http(
            "POST",
            root + "/admin/keys",
            {"name": "bench", "team": "perf"},
            {"authorization": f"Bearer {admin}"},
        )
        if status != 201:
            raise RuntimeError(f"creating a virtual key failed: {status} {body[:300]!r}")
        key = json.loads(body)["key"]
        server = Server(
            name,
            root + "/v1",
            process,
            paced_model=PACED_MODEL if paced_upstream else None,
            key=key,
            log=log,
            extra={"config": str(config), "data_dir": str(data_dir), "admin_key": admin},
        )
        self.servers[name] = server
        return server

    def start_minimal(self, upstream: str, name: str = "minimal") -> Server | None:
        python = python_with("aiohttp", "starlette", "uvicorn")
        if python is None:
            print(f"[skip] {name}: no Python with aiohttp+starlette+uvicorn", file=sys.stderr)
            return None
        port = free_port()
        argv = [
            python,
            str(self.peers / "minimal_proxy.py"),
            "--port",
            str(port),
            "--upstream",
            upstream,
        ]
        process, log = self._spawn(name, argv)
        root = f"http://127.0.0.1:{port}"
        self._wait(name, process, lambda: http("GET", root + "/health")[0] == 200, 60)
        server = Server(name, root + "/v1", process, key=PEER_KEY, log=log)
        self.servers[name] = server
        return server

    def start_tensorzero(self, upstream: str, paced_upstream: str | None = None) -> Server | None:
        python = peer_venv("tensorzero") / "bin" / "python"
        if not python.exists():
            print("[skip] tensorzero: run bench-peers/tensorzero/run.sh once", file=sys.stderr)
            return None
        toml = (self.peers / "tensorzero" / "tensorzero.toml").read_text()
        toml = toml.replace("http://127.0.0.1:8001/v1/", upstream.rstrip("/") + "/")
        if paced_upstream:
            toml += (
                f'\n[models.{PACED_MODEL}]\nrouting = ["paced"]\n\n'
                f"[models.{PACED_MODEL}.providers.paced]\n"
                f'type = "openai"\napi_base = "{paced_upstream.rstrip("/")}/"\n'
                f'model_name = "mock-model"\napi_key_location = "none"\n'
            )
        config = self.work / "tensorzero.toml"
        config.write_text(toml)
        url_file = self.work / "tz.url"
        script = self.peers / "tensorzero" / "serve_embedded.py"
        argv = [str(python), str(script), "--config", str(config), "--url-file", str(url_file)]
        process, log = self._spawn("tensorzero", argv)
        self._wait(
            "tensorzero",
            process,
            lambda: url_file.exists() and url_file.read_text().strip() != "",
            60,
        )
        base = url_file.read_text().strip()
        assert_loopback(base)
        server = Server(
            "tensorzero",
            base,
            process,
            model=TZ_PREFIX + MOCK_MODEL,
            paced_model=TZ_PREFIX + PACED_MODEL if paced_upstream else None,
            log=log,
        )
        self.servers["tensorzero"] = server
        return server

    def start_litellm(self, upstream: str, paced_upstream: str | None = None) -> Server | None:
        venv = peer_venv("litellm")
        if not (venv / "bin" / "litellm").exists():
            print("[skip] litellm: run bench-peers/litellm/run.sh once", file=sys.stderr)
            return None
        import yaml

        config = yaml.safe_load((self.peers / "litellm" / "config.yaml").read_text())
        for entry in config["model_list"]:
            entry["litellm_params"]["api_base"] = upstream
        if paced_upstream:
            paced = json.loads(json.dumps(config["model_list"][0]))
            paced["model_name"] = PACED_MODEL
            paced["litellm_params"]["api_base"] = paced_upstream
            config["model_list"].append(paced)
        path = self.work / "litellm.yaml"
        path.write_text(yaml.safe_dump(config))
        port = free_port()
        argv = [
            str(venv / "bin" / "litellm"),
            "--config",
            str(path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--num_workers",
            "1",
        ]
        process, log = self._spawn("litellm", argv, {"LITELLM_LOCAL_MODEL_COST_MAP": "True"})
        root = f"http://127.0.0.1:{port}"
        self._wait(
            "litellm", process, lambda: http("GET", root + "/health/liveliness")[0] == 200, 180
        )
        server = Server(
            "litellm",
            root + "/v1",
            process,
            paced_model=PACED_MODEL if paced_upstream else None,
            key=PEER_KEY,
            log=log,
        )
        self.servers["litellm"] = server
        return server


def terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# -- /proc accounting ---------------------------------------------------------------------


def proc_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except OSError:
            continue
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def proc_usage(root: int) -> tuple[float, float]:
    """(CPU seconds user+sys, RSS MiB) summed over a process tree."""
    tick = os.sysconf("SC_CLK_TCK")
    page = os.sysconf("SC_PAGE_SIZE")
    cpu, rss = 0.0, 0
    for pid in proc_tree(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / tick
        rss += int(fields[21]) * page
    return cpu, rss / 2**20


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"
