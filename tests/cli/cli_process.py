"""Runs the `switchgear` command line as a user would: a real process, its own data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Settings the developer's shell may carry that would point a test at another deployment.
_OUTSIDE_SETTINGS = (
    "SWITCHGEAR_CONFIG",
    "SWITCHGEAR_URL",
    "SWITCHGEAR_DATABASE_URL",
    "SWITCHGEAR_REDIS_URL",
)


def run_switchgear(
    *args: str, data_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _OUTSIDE_SETTINGS}
    return subprocess.run(
        [sys.executable, "-m", "switchgear.cli", *args],
        capture_output=True,
        text=True,
        timeout=240,
        env={**clean, **(env or {}), "SWITCHGEAR_DATA_DIR": str(data_dir)},
    )
