"""The `git` connector against a real repository (the `git` CLI): a bare clone synced at a
branch, incremental by blob sha, `.acl` files committed in the tree, and a repository gone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from switchgear.knowledge.acl import Reader
from tests.knowledge.connectors.conftest import OpenHub, sources_seen

RUNBOOK = "To restart the payment service, drain the queue first, then roll the pods one by one."
ROTATION = "Database credentials are rotated every ninety days by the platform team."


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


def _repository(root: Path) -> Path:
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "runbooks").mkdir()
    (root / "runbooks" / "payments.md").write_text(f"# Payments restart\n\n{RUNBOOK}\n")
    (root / "security").mkdir()
    (root / "security" / "rotation.md").write_text(f"# Credential rotation\n\n{ROTATION}\n")
    (root / "security" / ".acl").write_text("team:security\nteam:platform\n")
    _commit(root, "first")
    return root


def _config(repo: Path) -> dict[str, object]:
    url = repo.as_uri()  # file:// URL, as a remote would be named
    return {
        "connectors": {
            "runbooks": {
                "type": "git",
                "collection": "ops",
                "repository": url,
                "branch": "main",
                "default_acl": ["team:ops"],
            }
        }
    }


def test_git_sync_follows_commits_and_permissions(open_hub: OpenHub, tmp_path: Path) -> None:
    repo = _repository(tmp_path / "repo")
    knowledge, hub = open_hub(**_config(repo))

    first = hub.sync("runbooks")
    assert first.error is None and first.counts["added"] == 2
    assert "runbooks/runbooks/payments.md" in sources_seen(
        knowledge, "restart payment service", "ops", team="ops"
    )
    assert sources_seen(knowledge, "credential rotation", "ops", team="platform") == {
        "runbooks/security/rotation.md"
    }

    assert hub.sync("runbooks").chunks_embedded == 0  # same commit: nothing embedded

    (repo / "runbooks" / "payments.md").write_text("# Payments restart\n\nCall the lead first.\n")
    (repo / "security" / ".acl").write_text("team:security\n")  # platform loses access
    _commit(repo, "edit and restrict")
    report = hub.sync("runbooks")
    assert report.counts["updated"] == 1 and report.counts["acl_updated"] == 1
    assert sources_seen(knowledge, "credential rotation", "ops", team="platform") == set()
    assert sources_seen(knowledge, "credential rotation", "ops", team="security") == {
        "runbooks/security/rotation.md"
    }
    hits = knowledge.search("payments restart", "ops", Reader(team="ops"), top_k=1)
    assert "Call the lead first" in hits[0].text

    _git(repo, "rm", "-q", "runbooks/payments.md")
    _commit(repo, "retire the runbook")
    assert hub.sync("runbooks").counts["removed"] == 1
    assert sources_seen(knowledge, "restart payment service", "ops", team="ops") == set()


def test_a_repository_that_is_gone_changes_nothing(open_hub: OpenHub, tmp_path: Path) -> None:
    repo = _repository(tmp_path / "repo")
    knowledge, hub = open_hub(**_config(repo))
    hub.sync("runbooks")
    shutil.rmtree(repo)

    report = hub.sync("runbooks")
    assert report.error is not None and report.error.startswith("git fetch failed")
    assert sources_seen(knowledge, "credential rotation", "ops", team="security") == {
        "runbooks/security/rotation.md"
    }
    assert hub.statuses()[0]["last_run"]["error"] == report.error
