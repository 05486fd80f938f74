"""The `directory` connector through the sync engine, on SQLite and Postgres: incremental
syncs, permissions from globs and `.acl` files, deletions, and a source that fails."""

from __future__ import annotations

import os
from pathlib import Path

from switchgear.knowledge.acl import Reader
from tests.knowledge.connectors.conftest import OpenHub, sources_seen

LEAVE = "Every employee gets 27 days of annual leave, plus public holidays."
ONCALL = "The on-call engineer answers a page within fifteen minutes, day or night."
PARKING = "The parking garage opens at seven in the morning on weekdays."


def _folder(root: Path) -> Path:
    (root / "hr").mkdir(parents=True)
    (root / "hr" / "leave.md").write_text(f"# Annual leave\n\n{LEAVE}\n")
    (root / "hr" / ".acl").write_text("team:hr  # people operations\nuser:ceo\n")
    (root / "eng").mkdir()
    (root / "eng" / "oncall.md").write_text(f"# On call\n\n{ONCALL}\n")
    (root / "notice.txt").write_text(PARKING)
    return root


def _config(root: Path) -> dict[str, object]:
    return {
        "connectors": {
            "handbook": {
                "type": "directory",
                "collection": "handbook",
                "path": str(root),
                "acl": {"eng/*": ["team:eng"]},
                "default_acl": ["public"],
            }
        }
    }


def test_syncs_only_what_changed_and_carries_permissions(open_hub: OpenHub, tmp_path: Path) -> None:
    root = _folder(tmp_path / "handbook")
    knowledge, hub = open_hub(**_config(root))

    first = hub.sync("handbook")
    assert first.error is None
    assert first.counts["added"] == 3 and first.chunks_embedded >= 3
    assert sources_seen(knowledge, "annual leave days", "handbook", team="hr") >= {
        "handbook/hr/leave.md"
    }
    assert "handbook/hr/leave.md" not in sources_seen(
        knowledge, "annual leave days", "handbook", team="eng"
    )
    assert "handbook/eng/oncall.md" in sources_seen(
        knowledge, "on-call page", "handbook", team="eng"
    )

    again = hub.sync("handbook")
    assert again.counts["unchanged"] == 3 and again.chunks_embedded == 0

    (root / "hr" / "leave.md").write_text("# Annual leave\n\nEvery employee gets 30 days.\n")
    edited = hub.sync("handbook")
    assert edited.counts["updated"] == 1 and edited.counts["unchanged"] == 2
    hits = knowledge.search("annual leave days", "handbook", Reader(team="hr"), top_k=3)
    assert "30 days" in hits[0].text

    (root / "notice.txt").unlink()
    removed = hub.sync("handbook")
    assert removed.counts["removed"] == 1
    assert "handbook/notice.txt" not in sources_seen(knowledge, "parking garage", "handbook")


def test_a_permission_removed_at_the_source_stops_retrieval(
    open_hub: OpenHub, tmp_path: Path
) -> None:
    root = _folder(tmp_path / "handbook")
    knowledge, hub = open_hub(**_config(root))
    hub.sync("handbook")
    assert "handbook/hr/leave.md" in sources_seen(knowledge, "annual leave", "handbook", team="hr")

    (root / "hr" / ".acl").write_text("user:ceo\n")  # HR loses access; nothing else changes
    report = hub.sync("handbook")
    assert report.counts["acl_updated"] == 1 and report.chunks_embedded == 0
    assert sources_seen(knowledge, "annual leave", "handbook", team="hr") == {
        "handbook/notice.txt"
    }  # only the public notice is left for HR
    assert "handbook/hr/leave.md" in sources_seen(knowledge, "annual leave", "handbook", user="ceo")
    assert "handbook/eng/oncall.md" in sources_seen(knowledge, "on-call", "handbook", team="eng")


def test_a_failing_source_leaves_the_index_and_records_the_error(
    open_hub: OpenHub, tmp_path: Path
) -> None:
    root = _folder(tmp_path / "handbook")
    knowledge, hub = open_hub(**_config(root))
    hub.sync("handbook")
    os.rename(root, tmp_path / "moved")  # the share is unmounted, say

    report = hub.sync("handbook")
    assert report.error is not None and "is not a folder" in report.error
    assert report.counts["removed"] == 0
    assert "handbook/notice.txt" in sources_seen(knowledge, "parking garage", "handbook")
    (status,) = hub.statuses()
    assert status["last_run"]["error"] == report.error
    assert status["last_run"]["last_success_at"] is not None  # the previous good run


def test_one_unreadable_document_does_not_stop_the_others(
    open_hub: OpenHub, tmp_path: Path
) -> None:
    root = _folder(tmp_path / "handbook")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a real pdf")
    _, hub = open_hub(**_config(root))

    report = hub.sync("handbook")
    assert report.counts["added"] == 3 and report.counts["failed"] == 1
    failed = [f for f in report.files if f.status == "failed"]
    assert failed[0].source == "handbook/broken.pdf"
    # Failed documents are retried at the next sync, the others are left alone.
    again = hub.sync("handbook")
    assert again.counts["failed"] == 1 and again.counts["unchanged"] == 3


def test_links_are_not_followed_and_a_moved_connector_leaves_nothing_behind(
    open_hub: OpenHub, tmp_path: Path
) -> None:
    root = _folder(tmp_path / "handbook")
    secret = tmp_path / "outside.txt"
    secret.write_text("The root password of the build server is hunter2.")
    (root / "innocent.txt").symlink_to(secret)
    knowledge, hub = open_hub(**_config(root))
    assert hub.sync("handbook").counts["added"] == 3
    assert "handbook/innocent.txt" not in {d.source for d in knowledge.documents("handbook")}

    config = _config(root)
    config["connectors"]["handbook"]["collection"] = "policies"  # type: ignore[index]
    moved, hub = open_hub(**config)  # the same database, the connector pointed elsewhere
    assert hub.sync("handbook").counts["added"] == 3
    assert moved.documents("handbook") == []
    assert "handbook/notice.txt" in sources_seen(moved, "parking garage", "policies")
