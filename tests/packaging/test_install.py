"""Installing by name, as a user would: a plain `pip install .` into a fresh venv, and `pipx
install` of the wheel built from this tree. Nothing from this checkout's venv is used by what
they install. pip's normal cache makes them quick: llama-cpp-python was compiled (with the
Makefile's portable flags) and cached by `make install`, so a fresh install reuses that wheel;
where the cache lacks it, the install compiles it with the same flags."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.gateway_process import free_port
from tests.packaging.repo import REPO, clean_env, makefile_cmake_args, project_version
from tests.packaging.served import serving

# Seconds: a few minutes from pip's cache; the first install on a machine compiles llama.cpp.
INSTALL_TIMEOUT_S = 1800
EMBEDDED_MODEL = "smollm2-135m-instruct"


def build_env(**extra: str) -> dict[str, str]:
    env = clean_env(**extra)
    env.setdefault("CMAKE_ARGS", makefile_cmake_args())
    env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", "2")
    return env


def run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
    )
    assert done.returncode == 0, f"{args} failed:\n{(done.stdout + done.stderr)[-6000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def source_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkout as a clone has it: without the venv, git data, caches or build output.
    A copy, since pip builds a source tree in place."""
    tree = tmp_path_factory.mktemp("source") / "switchgear"
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "build", "dist"
    )
    shutil.copytree(REPO, tree, ignore=ignore)
    return tree


@pytest.mark.slow
@pytest.mark.timeout(INSTALL_TIMEOUT_S * 2)
def test_plain_pip_install_serves_the_embedded_model(source_tree: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    env = build_env()
    run([sys.executable, "-m", "venv", venv], tmp_path, env)
    run([venv / "bin/python", "-m", "pip", "install", "."], source_tree, env)
    switchgear = venv / "bin/switchgear"
    assert (
        run([switchgear, "--version"], tmp_path, env).strip() == f"switchgear {project_version()}"
    )
    # The package itself, not a link back to the source (a non-editable install).
    where = run(
        [venv / "bin/python", "-c", "import switchgear; print(switchgear.__file__)"], tmp_path, env
    )
    assert Path(where.strip()).is_relative_to(venv)

    port = free_port()
    served_env = {**env, "SWITCHGEAR_DATA_DIR": str(tmp_path / "data")}
    args = [str(switchgear), "serve", "--port", str(port)]
    with serving(args, port, served_env, tmp_path / "gateway.log") as base_url:
        reply = httpx.post(
            f"{base_url}/v1/chat/completions",
            json={
                "model": "default",
                "messages": [{"role": "user", "content": "Name three colours."}],
                "max_tokens": 16,
                "temperature": 0,
            },
            timeout=120,
        )
    assert reply.status_code == 200, reply.text
    assert reply.json()["model"] == EMBEDDED_MODEL
    assert reply.json()["choices"][0]["message"]["content"].strip()


@pytest.mark.slow
@pytest.mark.timeout(INSTALL_TIMEOUT_S * 2)
def test_pipx_install_of_the_wheel_gives_a_working_command(
    source_tree: Path, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    env = build_env()
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", dist, "."],
        source_tree,
        env,
    )
    (wheel,) = dist.glob("switchgear-*.whl")
    pipx_env = {
        **env,
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
        "USE_EMOJI": "0",
    }
    run([sys.executable, "-m", "pipx", "install", wheel], tmp_path, pipx_env)
    switchgear = tmp_path / "bin" / "switchgear"
    # The command pipx put on the user's PATH, run from anywhere with nothing configured.
    user_env = {**env, "PATH": f"{switchgear.parent}{os.pathsep}{env['PATH']}"}
    assert run(["switchgear", "--version"], tmp_path, user_env).strip() == (
        f"switchgear {project_version()}"
    )
    models = run(["switchgear", "models"], tmp_path, user_env).splitlines()
    embedded = [line.split() for line in models if line.startswith(EMBEDDED_MODEL)]
    assert embedded and embedded[0][1] == "local" and embedded[0][-1] == "default", models
