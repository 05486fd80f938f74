"""Real client programs from npm, installed by the tests themselves on first use.

CI starts on a fresh machine, so a missing tool is installed (never skipped): once per
machine into `~/.cache/switchgear/npm/<name>@<version>`, then reused. The install goes to a
temporary folder first and is renamed into place only once it worked, so a broken or
interrupted install is never mistaken for a cached one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CACHE = Path.home() / ".cache" / "switchgear" / "npm"
_INSTALL_TIMEOUT = 600  # the Claude Code package pulls a ~400 MB native binary


def npm_tool(package: str, version: str, binary: str) -> Path:
    """The path of `binary` from `package@version`, installed when this machine lacks it."""
    folder = CACHE / f"{package.rsplit('/', 1)[-1]}@{version}"
    path = folder / "node_modules" / ".bin" / binary
    if _works(path):
        return path
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed; .ci/run installs it on a fresh machine")
    CACHE.mkdir(parents=True, exist_ok=True)
    spec = f"{package}@{version}"
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=CACHE))
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(staging), spec],
            capture_output=True,
            text=True,
            timeout=_INSTALL_TIMEOUT,
        )
        if done.returncode != 0:
            raise RuntimeError(f"npm install {spec} failed:\n{done.stderr[-4000:]}")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not _works(path):
        raise RuntimeError(f"{spec} installed, but `{path} --version` fails")
    return path


def _works(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        done = subprocess.run([str(path), "--version"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0
