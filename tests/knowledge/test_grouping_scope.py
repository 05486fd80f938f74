"""Results grouped per document, no document filling every place while others match, and the
operators' audited auditor scope (`scope: "all"` on the admin search), which keys never get."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchgear.knowledge.acl import Acl, Reader
from switchgear.knowledge.service import Knowledge
from switchgear.schema.kinds import SearchRequest
from tests.gateway_process import GatewayProcess
from tests.knowledge.conftest import OpenKnowledge
from tests.knowledge.version_docs import TRAVEL_2023, TRAVEL_2025

QUESTION = "How do I book a train for a business trip?"
# Eight sections about booking trains: each one matches the question, each is its own chunk.
MANUAL = "# Travel booking manual\n\n" + "\n\n".join(
    f"## Booking step {n}\n\nBook the train for your business trip in the travel portal: "
    f"step {n} of the booking explains seats, fares, rail cards and business trip approval."
    for n in range(8)
)
FAQ = "# Travel FAQ\n\n## Trains\n\nBusiness trips by train are booked in the travel portal."
CARDS = "# Rail cards\n\n## Booking\n\nA rail card lowers every train fare on a business trip."
SMALL_CHUNKS = {"chunking": {"max_chars": 200, "overlap_chars": 0}}


def ingest(kb: Knowledge, files: dict[str, str]) -> None:
    uploads = [(name, text.encode()) for name, text in files.items()]
    assert kb.ingest_uploads(uploads, "kb").ok


def test_one_document_does_not_fill_every_place(open_knowledge: OpenKnowledge) -> None:
    kb = open_knowledge(**SMALL_CHUNKS)
    ingest(kb, {"manual.md": MANUAL, "faq.md": FAQ, "cards.md": CARDS})
    assert next(d for d in kb.documents("kb") if d.source == "manual.md").chunks >= 8
    sources = [p.source for p in kb.search(QUESTION, "kb", Reader(), top_k=5)]
    assert len(sources) == 5
    assert sources.count("manual.md") == 3  # the default cap
    assert {"faq.md", "cards.md"} <= set(sources)
    uncapped = open_knowledge(**SMALL_CHUNKS, retrieval={"max_passages_per_document": None})
    ingest(uncapped, {"manual.md": MANUAL, "faq.md": FAQ, "cards.md": CARDS})
    assert uncapped.search(QUESTION, "kb", Reader(), top_k=5)[0].source == "manual.md"
    assert [p.source for p in uncapped.search(QUESTION, "kb", Reader(), top_k=5)].count(
        "manual.md"
    ) > 3


def test_a_lone_document_still_fills_top_k(open_knowledge: OpenKnowledge) -> None:
    kb = open_knowledge(**SMALL_CHUNKS)
    ingest(kb, {"manual.md": MANUAL})
    assert [p.source for p in kb.search(QUESTION, "kb", Reader(), top_k=5)] == ["manual.md"] * 5


def test_search_groups_passages_per_document(open_knowledge: OpenKnowledge) -> None:
    kb = open_knowledge(**SMALL_CHUNKS)
    ingest(kb, {"manual.md": MANUAL, "faq.md": FAQ, "cards.md": CARDS})
    body = kb.search_response(SearchRequest(query=QUESTION, collection="kb", top_k=5), Reader())
    data, documents = body["data"], body["documents"]
    assert len(data) == 5  # the flat list is kept as it was
    assert [d["source"] for d in documents] == list(dict.fromkeys(d["source"] for d in data))
    for document in documents:
        hits = [data[i - 1] for i in document["passages"]]
        assert {h["source"] for h in hits} == {document["source"]}
        assert document["chunk_ids"] == [h["chunk_id"] for h in hits]
        assert document["score"] == max(h["score"] for h in hits)
        assert document["title"] == hits[0]["title"]
    assert sum(len(d["passages"]) for d in documents) == 5


def test_the_auditor_reader_passes_every_acl(open_knowledge: OpenKnowledge) -> None:
    kb = open_knowledge()
    uploads = [("pay/bands.md", b"# Pay bands\n\nStaff engineers earn 150,000 euros.")]
    assert kb.ingest_uploads(uploads, "kb", acl=["team:hr"]).ok
    question = "What do staff engineers earn?"
    assert kb.search(question, "kb", Reader(team="engineering")) == []
    assert [p.source for p in kb.search(question, "kb", Reader.everything())] == ["pay/bands.md"]
    assert Acl.parse(["team:hr"]).allows(Reader.everything())


# -- through the gateway: the admin route, its audit, and keys ---------------------------------

ADMIN = "admin-secret-for-auditor-scope-tests"
SECRET = "The salary band for staff engineers is 140,000 to 170,000 euros per year."


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    home = tmp_path_factory.mktemp("auditor-scope")
    config = home / "switchgear.yaml"
    config.write_text("knowledge:\n  collections:\n    hr: {acl: ['team:hr']}\n")
    process = GatewayProcess(home, config, env={"SWITCHGEAR_ADMIN_KEY": ADMIN})
    for files, form in (
        ([("pay/bands.md", f"# Pay bands\n\n## Staff engineers\n\n{SECRET}")], {}),
        (
            [("travel/policy-2023.md", TRAVEL_2023), ("travel/policy-2025.md", TRAVEL_2025)],
            {"metadata": json.dumps({"version_group": "travel"})},
        ),
    ):
        uploaded = process.admin(
            ADMIN,
            "POST",
            "/knowledge/collections/hr/documents",
            files=[("file", file) for file in files],
            data=form,
        )
        assert uploaded.status_code == 200, uploaded.text
    yield process
    process.stop()


def admin_search(gateway: GatewayProcess, **body: Any) -> httpx.Response:
    return gateway.admin(ADMIN, "POST", "/knowledge/collections/hr/search", json=body)


def audit_rows(gateway: GatewayProcess) -> list[tuple[str, str, dict[str, Any]]]:
    assert gateway.admin(ADMIN, "GET", "/audit/verify").json()["ok"] is True  # flushes
    with sqlite3.connect(Path(gateway.db_path)) as db:
        rows = db.execute("SELECT action, subject, detail FROM audit ORDER BY seq").fetchall()
    return [(action, subject, json.loads(detail)) for action, subject, detail in rows]


def test_the_admin_key_alone_sees_public_documents_only(gateway: GatewayProcess) -> None:
    response = admin_search(gateway, query=SECRET)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == []
    as_hr = admin_search(gateway, query=SECRET, team="hr").json()
    assert as_hr["data"][0]["source"] == "pay/bands.md"
    assert not any(row[0] == "knowledge.search_all" for row in audit_rows(gateway))


def test_the_auditor_scope_sees_everything_and_is_audited(gateway: GatewayProcess) -> None:
    response = admin_search(gateway, query=SECRET, scope="all")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "all"
    assert body["data"][0]["source"] == "pay/bands.md"
    assert (
        "knowledge.search_all",
        "hr",
        {"query": SECRET, "scope": "all", "versions": "current"},
    ) in audit_rows(gateway)
    refused = admin_search(gateway, query=SECRET, scope="all", team="hr")
    assert refused.status_code == 400


def test_upload_metadata_groups_versions_and_the_listing_shows_them(
    gateway: GatewayProcess,
) -> None:
    listed = gateway.admin(ADMIN, "GET", "/knowledge/collections/hr/documents").json()["data"]
    versions = {d["source"]: (d["version_group"], d["superseded_by"]) for d in listed}
    # One explicit group for both: the newest by its stated date is current.
    assert versions["travel/policy-2025.md"] == ("travel", None)
    assert versions["travel/policy-2023.md"] == ("travel", "travel/policy-2025.md")
    assert versions["pay/bands.md"] == (None, None)
    bad = gateway.admin(
        ADMIN,
        "POST",
        "/knowledge/collections/hr/documents",
        files=[("file", ("x.md", "# X\n\ntext"))],
        data={"metadata": "{not json"},
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "metadata"


def test_keys_never_get_the_auditor_scope(gateway: GatewayProcess) -> None:
    created = gateway.admin(ADMIN, "POST", "/keys", json={"name": "hr-bot", "team": "hr"})
    key = created.json()["key"]
    headers = {"authorization": f"Bearer {key}"}
    url = f"{gateway.base_url}/v1/search"
    refused = httpx.post(
        url, headers=headers, json={"query": SECRET, "collection": "hr", "scope": "all"}
    )
    assert refused.status_code == 400
    # A key's own search still works, within its ACLs.
    own = httpx.post(url, headers=headers, json={"query": SECRET, "collection": "hr"})
    assert own.status_code == 200 and own.json()["data"][0]["source"] == "pay/bands.md"
    admin_route = httpx.post(
        f"{gateway.base_url}/admin/knowledge/collections/hr/search",
        headers=headers,
        json={"query": SECRET, "scope": "all"},
    )
    assert admin_route.status_code in (401, 403)
