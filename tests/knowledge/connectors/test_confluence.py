"""The `confluence` connector against a fake Confluence Cloud over loopback HTTP: paginated
pages with storage bodies, inherited read restrictions, attachments, edits, deletions,
a permission removed, a server error and a refused token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from switchgear.knowledge.acl import Reader
from tests.fakes.serve import run_fake
from tests.knowledge.connectors.confluence_fake import (
    FakeConfluence,
    FakePage,
    create_confluence_fake,
)
from tests.knowledge.connectors.conftest import OpenHub, sources_seen

TOKEN = "atlassian-api-token-for-tests"


@pytest.fixture()
def confluence(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeConfluence, str]]:
    state = FakeConfluence("bot@example.com", TOKEN)
    state.add(FakePage("100", "Onboarding", "<p>New hires get a laptop on their first day.</p>"))
    state.add(
        FakePage(
            "101",
            "Compensation",
            "<h2>Bonus</h2><p>The bonus pool is 8% of salary.</p>",
            groups=["hr"],
        )
    )
    state.add(
        FakePage(
            "102",
            "Salary bands",
            "<p>Staff engineers earn 140,000 to 170,000 euros.</p>",
            parent_id="101",
        )
    )
    state.add(
        FakePage(
            "103",
            "Incident response",
            "<p>Page the incident commander for a sev-1 outage.</p>",
            attachments={
                "checklist.txt": b"Incident checklist: open a bridge, post status each 30 min.",
                "diagram.png": b"\x89PNG not indexed",
            },
        )
    )
    monkeypatch.setenv("CONFLUENCE_TOKEN", TOKEN)
    with run_fake(create_confluence_fake(state)) as url:
        yield state, url


def _config(url: str) -> dict[str, object]:
    return {
        "connectors": {
            "wiki": {
                "type": "confluence",
                "collection": "wiki",
                "base_url": url,
                "space_ids": ["98306"],
                "email": "bot@example.com",
                "token_env": "CONFLUENCE_TOKEN",
                "users": {"557058:ceo-account": "ceo"},
                "default_acl": ["team:eng", "team:hr"],
                "page_limit": 2,  # four pages: the listing takes two round trips
            }
        }
    }


def test_pages_attachments_and_restrictions_sync(
    open_hub: OpenHub, confluence: tuple[FakeConfluence, str]
) -> None:
    state, url = confluence
    knowledge, hub = open_hub(**_config(url))

    first = hub.sync("wiki")
    assert first.error is None, first.error
    assert first.counts["added"] == 5, (
        first.files
    )  # four pages and the text attachment, not the PNG
    assert state.requests.count("/wiki/api/v2/spaces/98306/pages") == 2
    # The child page inherits its parent's restriction to the hr group.
    assert sources_seen(knowledge, "salary bands staff engineers", "wiki", team="hr") >= {
        "wiki/102.html"
    }
    assert "wiki/102.html" not in sources_seen(knowledge, "salary bands", "wiki", team="eng")
    assert "wiki/103/checklist.txt" in sources_seen(
        knowledge, "incident checklist bridge", "wiki", team="eng"
    )
    assert hub.sync("wiki").chunks_embedded == 0

    state.pages["100"].body = "<p>New hires get a laptop and a phone on day one.</p>"
    state.pages["100"].version = 2
    state.pages["101"].groups = []
    state.pages["101"].users = ["557058:ceo-account"]  # HR loses the compensation pages
    del state.pages["103"]
    report = hub.sync("wiki")
    assert report.counts["updated"] == 1
    assert report.counts["acl_updated"] == 2  # the page and the child that inherits
    assert report.counts["removed"] == 2  # the page and its attachment
    hr_sees = sources_seen(knowledge, "salary bands bonus pool", "wiki", team="hr")
    assert not hr_sees & {"wiki/101.html", "wiki/102.html"}
    assert {"wiki/101.html", "wiki/102.html"} <= sources_seen(
        knowledge, "salary bands bonus pool", "wiki", user="ceo"
    )
    assert sources_seen(knowledge, "incident checklist", "wiki", team="eng").isdisjoint(
        {"wiki/103.html", "wiki/103/checklist.txt"}
    )
    hits = knowledge.search("new hires laptop", "wiki", Reader(team="eng"), top_k=1)
    assert "phone" in hits[0].text


def test_a_server_error_or_refused_token_keeps_the_index(
    open_hub: OpenHub, confluence: tuple[FakeConfluence, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = confluence
    knowledge, hub = open_hub(**_config(url))
    hub.sync("wiki")

    state.fail_with = 500
    failed = hub.sync("wiki")
    assert failed.error is not None and "HTTP 500" in failed.error
    assert failed.counts["removed"] == 0
    assert "wiki/100.html" in sources_seen(knowledge, "new hires laptop", "wiki", team="eng")

    state.fail_with = None
    monkeypatch.setenv("CONFLUENCE_TOKEN", "a-revoked-token")
    refused = hub.sync("wiki")
    assert refused.error is not None and "refused the credentials (HTTP 401)" in refused.error
    assert hub.statuses()[0]["last_run"]["error"] == refused.error
    assert "wiki/100.html" in sources_seen(knowledge, "new hires laptop", "wiki", team="eng")


def test_a_child_restricted_below_a_restricted_parent_needs_both(
    open_hub: OpenHub, confluence: tuple[FakeConfluence, str]
) -> None:
    """In Confluence a reader must pass every restricted level: a page the parent keeps to hr
    and the child to the CEO is readable by neither alone, so it is never indexed."""
    state, url = confluence
    state.pages["102"].users = ["557058:ceo-account"]
    knowledge, hub = open_hub(**_config(url))
    report = hub.sync("wiki")
    assert report.error is None, report.error
    for reader in ({"team": "hr"}, {"user": "ceo"}, {"team": "eng"}):
        assert "wiki/102.html" not in sources_seen(knowledge, "salary bands", "wiki", **reader)
    state.pages["102"].groups = ["hr"]  # now hr at both levels: hr may read it
    state.pages["102"].users = []
    hub.sync("wiki")
    assert "wiki/102.html" in sources_seen(knowledge, "salary bands staff", "wiki", team="hr")
