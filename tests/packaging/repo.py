"""Facts about this checkout that the packaging tests compare the deploy files against, and
the environment their child processes get."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def project_version() -> str:
    version: str = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    return version


def makefile_cmake_args() -> str:
    """llama.cpp's portable build flags, written once in the Makefile (a native build picks
    AMX on these CPUs and crashes on the first decode)."""
    match = re.search(r"^export CMAKE_ARGS \?= (.+)$", (REPO / "Makefile").read_text(), re.M)
    assert match, "the Makefile no longer exports CMAKE_ARGS"
    return match[1].strip()


def clean_env(**extra: str) -> dict[str, str]:
    """This machine's environment without anything that would point a child at this checkout
    or its venv, or configure the gateway behind the test's back."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SWITCHGEAR_")
        and name not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")
    }
    return {**env, **extra}
