"""`switchgear purge`: stored text past its expiry and usage rows past their route's
`expire_days` go, everything else stays, and the purge is in the audit log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from switchgear.config import ConfigError, load_config
from switchgear.store.audit_chain import verify_chain
from switchgear.store.base import StoredContent, UsageRecord
from switchgear.store.sqlite import open_sqlite_store

DAY = 86400.0
CONFIG = """
routes:
  private: {targets: [default], retention: {store: full, expire_days: 10}}
  counted: {targets: [default], retention: {store: none, expire_days: 30}}
  kept: {targets: [default]}
"""


def usage(
    request_id: str, route: str, age_days: float, content_days: float | None = None
) -> UsageRecord:
    created = time.time() - age_days * DAY
    content = None
    if content_days is not None:
        content = StoredContent(created + content_days * DAY, '{"messages": []}', '{"choices": []}')
    return UsageRecord(
        request_id=request_id, created_at=created, endpoint="chat.completions", model=route,
        served_model="smol", provider="local", stream=False, status="ok", http_status=200,
        error_code=None, prompt_tokens=3, completion_tokens=4, latency_ms=1.0, ttft_ms=None,
        user=None, route=route, content=content,
    )  # fmt: skip


def purge(home: Path, *flags: str) -> str:
    env = {**os.environ, "SWITCHGEAR_DATA_DIR": str(home)}
    result = subprocess.run(
        [sys.executable, "-m", "switchgear.cli", "purge", "--config", str(home / "sg.yaml"),
         *flags],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def remaining(home: Path) -> tuple[list[str], list[str]]:
    store = open_sqlite_store(home / "switchgear.db")
    try:
        ids = sorted(r.request_id for r in store.read_usage(limit=100))
        texts = store.transaction(
            lambda cursor: cursor.execute("SELECT request_id FROM stored_content").fetchall()
        )
    finally:
        store.close()
    return ids, sorted(str(r[0]) for r in texts)


def test_purge_removes_expired_rows_only(tmp_path: Path) -> None:
    (tmp_path / "sg.yaml").write_text(CONFIG)
    store = open_sqlite_store(tmp_path / "switchgear.db")
    store.write_ledger([
        usage("private-old", "private", 12, content_days=10),   # text and row expired
        usage("private-new", "private", 2, content_days=10),    # both still within 10 days
        usage("counted-old", "counted", 31),
        usage("counted-new", "counted", 29),
        usage("kept-ancient", "kept", 400),                     # no expire_days: kept
    ])  # fmt: skip
    store.close()
    everything = ["counted-new", "counted-old", "kept-ancient", "private-new", "private-old"]

    dry = purge(tmp_path, "--dry-run")
    assert "would delete 1 stored request/answer texts" in dry
    assert "would delete 1 usage rows of route `counted`" in dry
    assert "would delete 1 usage rows of route `private`" in dry
    assert remaining(tmp_path) == (everything, ["private-new", "private-old"])

    done = purge(tmp_path)
    assert "deleted 1 stored request/answer texts" in done
    assert remaining(tmp_path) == (["counted-new", "kept-ancient", "private-new"], ["private-new"])
    assert "deleted 0 usage rows of route `counted`" in purge(tmp_path)  # nothing left to do

    store = open_sqlite_store(tmp_path / "switchgear.db")
    audit = store.read_audit()
    store.close()
    purges = [json.loads(a.detail) for a in audit if a.action == "retention.purge"]
    assert purges[0] == {"content": 1, "usage": {"private": 1, "counted": 1}}
    assert len(purges) == 2  # the dry run changed nothing and is not in the log
    assert verify_chain(audit).ok  # the audit entries of the purged rows are all still there


def test_full_without_expire_days_is_a_config_error_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "sg.yaml"
    path.write_text("routes:\n  private:\n    targets: [default]\n    retention: {store: full}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert "sg.yaml:4: routes.private.retention.expire_days: `store: full`" in str(raised.value)
