"""The `sharepoint` connector against a Microsoft Graph fake over loopback HTTP: a paged
delta enumeration, later syncs from the delta link only, edits, a deleted folder taking its
files along, a sharing change that takes a group's access away, an expired link (410), an
outage and a refused token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from switchgear.knowledge.acl import Reader
from tests.fakes.serve import run_fake
from tests.knowledge.connectors.conftest import OpenHub, sources_seen
from tests.knowledge.connectors.graph_fake import (
    FakeDrive,
    FakeItem,
    create_graph_fake,
    group,
    user,
)

TOKEN = "graph-bearer-token-for-tests"
HANDBOOK = b"# Expenses\n\nMeals on business trips are reimbursed up to 65 dollars a day."
PLAN = b"# Roadmap\n\nThe mobile app ships offline mode in the third quarter."
MINUTES = b"# Board minutes\n\nThe board approved the acquisition of a small analytics firm."


@pytest.fixture()
def drive(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeDrive, str]]:
    state = FakeDrive(TOKEN)
    state.put("F1", FakeItem("Policies"))
    state.put("I1", FakeItem("expenses.md", parent="F1", content=HANDBOOK))
    state.put("F2", FakeItem("Product"))
    state.put(
        "I2",
        FakeItem(
            "roadmap.md",
            parent="F2",
            content=PLAN,
            grants=[group("g-eng", "Engineering"), group("g-pm", "Product Mgmt")],
        ),
    )
    state.put(
        "I3",
        FakeItem(
            "minutes.md",
            content=MINUTES,
            grants=[user("u-ceo", "ceo@contoso.com"), group("g-board", "board")],
        ),
    )
    state.put("I4", FakeItem("logo.png", content=b"\x89PNG"))
    monkeypatch.setenv("GRAPH_TOKEN", TOKEN)
    with run_fake(create_graph_fake(state)) as url:
        yield state, url


def _config(url: str) -> dict[str, object]:
    return {
        "connectors": {
            "drive": {
                "type": "sharepoint",
                "collection": "docs",
                "drive_id": "b!kDrive",
                "token_env": "GRAPH_TOKEN",
                "graph_url": f"{url}/v1.0",
                "users": {"u-ceo": "ceo"},
                "groups": {"g-pm": "product"},
                "default_acl": ["public"],
            }
        }
    }


def test_delta_sync_with_grants_edits_and_deletions(
    open_hub: OpenHub, drive: tuple[FakeDrive, str]
) -> None:
    state, url = drive
    knowledge, hub = open_hub(**_config(url))

    first = hub.sync("drive")
    assert first.error is None, first.error
    assert first.counts["added"] == 3  # the PNG is skipped
    assert state.delta_calls == 4  # seven entries with the root, two a page
    assert "drive/I2/roadmap.md" in sources_seen(
        knowledge, "mobile offline mode", "docs", team="product"
    )
    assert "drive/I2/roadmap.md" in sources_seen(
        knowledge, "mobile offline mode", "docs", team="Engineering"
    )
    assert "drive/I3/minutes.md" in sources_seen(knowledge, "board acquisition", "docs", user="ceo")
    assert "drive/I3/minutes.md" not in sources_seen(knowledge, "board acquisition", "docs")
    calls = state.delta_calls
    again = hub.sync("drive")
    assert again.chunks_embedded == 0 and state.delta_calls == calls + 1  # one empty delta

    state.items["I3"].content = b"# Board minutes\n\nThe board postponed the acquisition."
    state.items["I3"].version = 2
    state.touch("I3")
    state.items["I2"].grants = [group("g-eng", "Engineering")]  # product loses the roadmap
    state.touch("I2", "shared")
    state.delete("F1")  # the folder goes, and the expenses policy in it
    report = hub.sync("drive")
    assert (report.counts["updated"], report.counts["acl_updated"], report.counts["removed"]) == (
        1,
        1,
        1,
    )
    assert "drive/I2/roadmap.md" not in sources_seen(
        knowledge, "mobile offline mode", "docs", team="product"
    )
    assert "drive/I2/roadmap.md" in sources_seen(
        knowledge, "mobile offline mode", "docs", team="Engineering"
    )
    assert "drive/I1/expenses.md" not in sources_seen(knowledge, "meals reimbursed", "docs")
    hits = knowledge.search("board acquisition", "docs", Reader(user="ceo"), top_k=1)
    assert "postponed" in hits[0].text


def test_an_expired_link_enumerates_again_and_failures_keep_the_index(
    open_hub: OpenHub, drive: tuple[FakeDrive, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = drive
    knowledge, hub = open_hub(**_config(url))
    hub.sync("drive")

    state.expire_links = True
    state.put(
        "I5", FakeItem("faq.md", content=b"# FAQ\n\nThe office wifi is called contoso-guest.")
    )
    resynced = hub.sync("drive")
    assert resynced.error is None and resynced.counts["added"] == 1
    assert resynced.counts["unchanged"] == 3
    state.expire_links = False

    state.fail_with = 503
    down = hub.sync("drive")
    assert down.error is not None and "HTTP 503" in down.error
    state.fail_with = None
    monkeypatch.setenv("GRAPH_TOKEN", "an-expired-token")
    refused = hub.sync("drive")
    assert refused.error is not None and "refused the token (HTTP 401)" in refused.error
    assert "drive/I5/faq.md" in sources_seen(knowledge, "office wifi", "docs")
    assert hub.statuses()[0]["last_run"]["error"] == refused.error
