"""deploy/switchgear.service: systemd's own analyzer checks it offline (no systemd runs in
these containers) against a throwaway root holding this machine's unit library, and the
settings an operator relies on are read from it."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path

from tests.packaging.repo import REPO

UNIT = REPO / "deploy" / "switchgear.service"
# systemd-analyze prints exposure to one decimal but compares `--threshold` in tenths:
# 20 means "2.0 or less" (this unit scores 1.7, which systemd rates "OK").
MOST_EXPOSURE_TENTHS = 20


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string(UNIT.read_text())
    return parser


def analyzer() -> str:
    found = shutil.which("systemd-analyze")
    assert found, "systemd-analyze is missing: apt-get install systemd"
    return found


def offline_root(tmp_path: Path) -> Path:
    """A root with the unit installed, systemd's unit library (the targets it is ordered
    against), and an executable where ExecStart expects the installed gateway."""
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system" / UNIT.name)
    executable = root / shlex.split(unit()["Service"]["ExecStart"])[0].lstrip("/")
    executable.parent.mkdir(parents=True)
    executable.write_text("#!/bin/sh\n")  # never run: verify checks it exists and executes
    executable.chmod(0o755)
    return root


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    root = offline_root(tmp_path)
    done = subprocess.run(
        [analyzer(), "verify", f"--root={root}", UNIT.name],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Unknown or misspelt settings are only warned about (exit 0), so any output fails too.
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_unit_is_hardened_by_systemds_own_measure(tmp_path: Path) -> None:
    root = offline_root(tmp_path)
    done = subprocess.run(
        [
            analyzer(),
            "security",
            "--offline=true",
            f"--root={root}",
            f"--threshold={MOST_EXPOSURE_TENTHS}",
            "--no-pager",
            UNIT.name,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr


def test_unit_serves_as_an_unprivileged_user_with_state_in_its_state_directory() -> None:
    service = unit()["Service"]
    command = shlex.split(service["ExecStart"])
    assert (Path(command[0]).name, command[1]) == ("switchgear", "serve")
    assert service.get("DynamicUser") == "yes" or service.get("User") not in (None, "root")
    assert service["ProtectSystem"] == "strict"
    # Under ProtectSystem=strict the state directory is the one place it may write.
    assert service["StateDirectory"] == "switchgear"
    environment = dict(word.split("=", 1) for word in shlex.split(service["Environment"]))
    assert environment["SWITCHGEAR_DATA_DIR"] == "%S/switchgear"
    assert service["EnvironmentFile"].lstrip("-") == "/etc/switchgear/switchgear.env"
    assert service["Restart"] == "on-failure"
    assert unit()["Install"]["WantedBy"] == "multi-user.target"
