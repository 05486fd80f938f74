"""The Node.js MCP programs the tests run for real: the reference server
`@modelcontextprotocol/server-everything` and the inspector's command line
`@modelcontextprotocol/inspector-cli`. Installed with npm once per version into
~/.cache/switchgear/npm (CI starts on a fresh machine; `.ci/run` installs Node and npm).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PACKAGES = {
    "@modelcontextprotocol/server-everything": "2026.8.31",
    "@modelcontextprotocol/inspector-cli": "1.0.3",
}


@dataclass(frozen=True)
class NodePrograms:
    node: str
    everything: Path  # the server's entry script; `node <it> stdio` serves stdio
    inspector: Path  # the inspector CLI's entry script (`--cli` mode)

    @property
    def inspector_dir(self) -> Path:
        """Where to run the inspector from: version 1.0.3 finds its own package.json relative
        to the working directory, so it must run inside its `build` folder."""
        return self.inspector.parent


def _cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    versions = "-".join(v for v in PACKAGES.values())
    return base / "switchgear" / "npm" / versions


def _installed(prefix: Path) -> bool:
    for name, version in PACKAGES.items():
        manifest = prefix / "node_modules" / name / "package.json"
        if not manifest.is_file() or json.loads(manifest.read_text())["version"] != version:
            return False
    return True


def install() -> NodePrograms:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise RuntimeError("Node.js and npm are needed for the MCP tests (.ci/run installs them)")
    prefix = _cache()
    prefix.mkdir(parents=True, exist_ok=True)
    with (prefix / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one install, whoever asks first
        if not _installed(prefix):
            specs = [f"{name}@{version}" for name, version in PACKAGES.items()]
            subprocess.run(
                [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", *specs],
                check=True,
                capture_output=True,
                timeout=600,
            )
    modules = prefix / "node_modules" / "@modelcontextprotocol"
    return NodePrograms(
        node,
        everything=modules / "server-everything" / "dist" / "index.js",
        inspector=modules / "inspector-cli" / "build" / "cli.js",
    )
