"""The Node.js MCP programs the tests run for real: the reference server
`@modelcontextprotocol/server-everything` and the inspector's command line
`@modelcontextprotocol/inspector-cli`. Installed with npm once per version into
~/.cache/switchgear/npm (CI starts on a fresh machine; `.ci/run` installs Node and npm).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
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


CACHE = Path.home() / ".cache" / "switchgear" / "npm"  # shared with tests/clients/npm_tools.py
_DONE = ".installed"  # written last: a folder without it is an interrupted install


def install() -> NodePrograms:
    """The programs, installed into the cache when this machine lacks them. The install goes to
    a temporary folder that is renamed into place once it worked."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise RuntimeError("Node.js and npm are needed for the MCP tests (.ci/run installs them)")
    folder = CACHE / ("mcp-tests@" + "-".join(PACKAGES.values()))
    if not (folder / _DONE).is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=CACHE))
        try:
            specs = [f"{name}@{version}" for name, version in PACKAGES.items()]
            done = subprocess.run(
                [npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund", *specs],
                capture_output=True,
                text=True,
                timeout=600,
            )
            if done.returncode != 0:
                raise RuntimeError(f"npm install {' '.join(specs)} failed:\n{done.stderr[-4000:]}")
            (staging / _DONE).touch()
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(staging, folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    modules = folder / "node_modules" / "@modelcontextprotocol"
    return NodePrograms(
        node,
        everything=modules / "server-everything" / "dist" / "index.js",
        inspector=modules / "inspector-cli" / "build" / "cli.js",
    )
