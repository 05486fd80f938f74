"""Connectors through a real gateway process: the admin routes list each connector's status
and run a sync (audited), `/v1/search` with team keys sees what the source allows, and a
watched folder syncs by itself when a permission is taken away."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.gateway_process import GatewayProcess

ADMIN = "admin-secret-for-connector-tests"
LEAVE = "Every employee gets 27 days of annual leave, plus public holidays."
ONCALL = "The on-call engineer answers a page within fifteen minutes, day or night."


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    manual = tmp_path_factory.mktemp("manual")
    (manual / "leave.md").write_text(f"# Annual leave\n\n{LEAVE}\n")
    (manual / ".acl").write_text("team:hr\n")
    watched = tmp_path_factory.mktemp("watched")
    (watched / "oncall.md").write_text(f"# On call\n\n{ONCALL}\n")
    (watched / ".acl").write_text("team:eng\nteam:hr\n")
    return {"manual": manual, "watched": watched}


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, folders: dict[str, Path]
) -> Iterator[GatewayProcess]:
    home = tmp_path_factory.mktemp("connector-gateway")
    config = home / "switchgear.yaml"
    config.write_text(
        f"""
knowledge:
  collections:
    handbook: {{description: Handbook, acl: ["team:hr"]}}
  connectors:
    policies: {{type: directory, collection: handbook, path: "{folders["manual"]}"}}
    runbooks:
      type: directory
      collection: handbook
      path: "{folders["watched"]}"
      watch: true
"""
    )
    process = GatewayProcess(home, config, env={"SWITCHGEAR_ADMIN_KEY": ADMIN})
    yield process
    process.stop()


def _key(gateway: GatewayProcess, team: str) -> str:
    response = gateway.admin(ADMIN, "POST", "/keys", json={"name": f"{team}-bot", "team": team})
    assert response.status_code == 201, response.text
    secret: str = response.json()["key"]
    return secret


def _search(gateway: GatewayProcess, key: str, query: str) -> set[str]:
    found = httpx.post(
        f"{gateway.base_url}/v1/search",
        json={"query": query, "collection": "handbook", "top_k": 10},
        headers={"authorization": f"Bearer {key}"},
        timeout=60,
    )
    assert found.status_code == 200, found.text
    return {r["source"] for r in found.json()["data"]}


def _status(gateway: GatewayProcess, name: str) -> dict[str, Any]:
    listed = gateway.admin(ADMIN, "GET", "/knowledge/connectors")
    assert listed.status_code == 200, listed.text
    found: dict[str, Any] = {c["name"]: c for c in listed.json()["data"]}[name]
    return found


def test_the_admin_api_lists_and_runs_connectors(gateway: GatewayProcess) -> None:
    before = _status(gateway, "policies")
    assert (before["type"], before["collection"], before["last_run"]) == (
        "directory",
        "handbook",
        None,
    )
    synced = gateway.admin(ADMIN, "POST", "/knowledge/connectors/policies/sync")
    assert synced.status_code == 200, synced.text
    assert synced.json()["added"] == 1 and synced.json()["error"] is None
    assert _status(gateway, "policies")["last_run"]["added"] == 1

    hr = _key(gateway, "hr")
    assert "policies/leave.md" in _search(gateway, hr, "annual leave days")
    assert "policies/leave.md" not in _search(gateway, _key(gateway, "eng"), "annual leave")

    missing = gateway.admin(ADMIN, "POST", "/knowledge/connectors/nope/sync")
    assert missing.status_code == 404
    anonymous = httpx.get(f"{gateway.base_url}/admin/knowledge/connectors", timeout=30)
    assert anonymous.status_code == 401
    with sqlite3.connect(gateway.db_path) as db:
        rows = db.execute(
            "SELECT subject FROM audit WHERE action = 'knowledge.connector_sync'"
        ).fetchall()
    assert rows == [("policies",)]


def test_the_console_shows_each_connector_and_syncs_one(gateway: GatewayProcess) -> None:
    with httpx.Client(base_url=gateway.base_url, timeout=120) as console:
        signed_in = console.post(
            "/console/login", files={"name": (None, ""), "password": (None, ADMIN)}
        )
        assert signed_in.status_code == 303, signed_in.text
        page = console.get("/console/knowledge")
        assert page.status_code == 200
        assert 'id="connectors"' in page.text and 'data-connector="runbooks"' in page.text
        assert "watched" in page.text and "manual" in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        synced = console.post(
            "/console/knowledge/connectors/sync",
            files={"csrf_token": (None, token.group(1)), "name": (None, "policies")},
        )
        assert synced.status_code == 303, synced.text
        row = console.get("/console/knowledge").text.split('data-connector="policies"')[1]
        assert '<td class="connector-status">ok</td>' in row.split("</tr>")[0]


def test_a_watched_folder_syncs_when_a_permission_is_removed(
    gateway: GatewayProcess, folders: dict[str, Path]
) -> None:
    hr, eng = _key(gateway, "hr"), _key(gateway, "eng")
    _wait(lambda: "runbooks/oncall.md" in _search(gateway, hr, "on-call page"))
    assert _status(gateway, "runbooks")["watch"] is True

    (folders["watched"] / ".acl").write_text("team:eng\n")  # HR loses the runbook
    _wait(lambda: "runbooks/oncall.md" not in _search(gateway, hr, "on-call page"))
    assert "runbooks/oncall.md" in _search(gateway, eng, "on-call page")
    assert _status(gateway, "runbooks")["last_run"]["error"] is None


def _wait(condition: Any, timeout: float = 60.0) -> None:
    """Watched syncs run in the gateway's background, a moment after the change."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the watched folder was not synced in time"
        time.sleep(0.2)


def test_the_sync_cli_runs_a_connector_and_shows_its_status(tmp_path: Path) -> None:
    docs = tmp_path / "policies"
    docs.mkdir()
    (docs / "leave.md").write_text(f"# Annual leave\n\n{LEAVE}\n")
    (docs / "notes.xlsx").write_bytes(b"PK\x03\x04")
    config = tmp_path / "switchgear.yaml"
    config.write_text(
        "knowledge:\n  connectors:\n"
        f'    policies: {{type: directory, collection: hr, path: "{docs}"}}\n'
    )
    env = {**os.environ, "SWITCHGEAR_DATA_DIR": str(tmp_path / "data")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "switchgear.cli", *args, "--config", str(config)]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    assert "policies             directory   hr               never synced" in cli("sync").stdout
    synced = cli("sync", "policies")
    assert synced.returncode == 1  # the spreadsheet cannot be read; the policy went in
    assert synced.stdout.startswith("policies: 1 added, 1 failed;"), synced.stdout
    assert "notes.xlsx: unsupported format" in synced.stderr
    again = cli("sync", "policies", "--json")
    assert json.loads(again.stdout)["unchanged"] == 1
    assert "1 added" not in cli("sync").stdout  # the status is the last run's
    assert cli("sync", "nope").returncode == 2
