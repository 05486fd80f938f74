"""Document versions on real stores (SQLite and Postgres): the current travel policy is the
one retrieved, whichever order the versions arrive in and whether metadata or only the text
says which is newer; older versions appear only when asked, marked; deleting the current
version brings back the previous one; a merely similar policy is not a version."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date
from pathlib import Path

import pytest

from switchgear.knowledge.acl import Reader
from switchgear.knowledge.config import KnowledgeConfig, RouteKnowledge
from switchgear.knowledge.embedder import MiniLmOnnx
from switchgear.knowledge.readers.text import read_markdown
from switchgear.knowledge.service import Knowledge
from switchgear.knowledge.sqlite_index import SqliteKnowledgeStore
from switchgear.knowledge.sqlite_schema import MIGRATIONS
from switchgear.knowledge.version_dates import found_date
from switchgear.knowledge.versions import (
    NEAR_DUPLICATE,
    VersionMember,
    signature,
    similarity,
    superseded_by,
)
from switchgear.schema.errors import InvalidRequest
from switchgear.schema.kinds import SearchRequest
from switchgear.schema.requests import ChatCompletionRequest, Message
from switchgear.store.migrate import apply_migrations, sqlite_transaction
from switchgear.store.sqlite_connect import connect
from tests.knowledge.conftest import OpenKnowledge
from tests.knowledge.version_docs import (
    DIFFERENT_PAIRS,
    EXPENSES,
    JA_REMOTE,
    JA_TRAVEL_2023,
    JA_TRAVEL_2025,
    TRAVEL_2023,
    TRAVEL_2025,
    VERSION_PAIRS,
    travel,
)

QUESTION = "What is the daily meal allowance inside the US?"
OLD, NEW = "travel/policy-2023.md", "travel/policy-2025.md"


def upload(kb: Knowledge, source: str, text: str, metadata: dict[str, str] | None = None) -> None:
    report = kb.ingest_uploads([(source, text.encode())], "kb", metadata=metadata)
    assert report.ok, report.files


def found(kb: Knowledge, versions: str = "current") -> list[tuple[str, str | None]]:
    passages = kb.search(QUESTION, "kb", Reader(), top_k=5, versions=versions)  # type: ignore[arg-type]
    return [(p.source, p.superseded_by) for p in passages]


@pytest.mark.parametrize("new_first", [False, True])
def test_the_current_version_is_retrieved_from_dates_in_the_text(
    open_knowledge: OpenKnowledge, new_first: bool
) -> None:
    kb = open_knowledge()
    order = [(NEW, TRAVEL_2025), (OLD, TRAVEL_2023)]
    for source, text in order if new_first else order[::-1]:
        upload(kb, source, text)
    results = found(kb)
    assert results[0] == (NEW, None)
    assert OLD not in {source for source, _ in results}
    listed = {d.source: d for d in kb.documents("kb")}
    assert listed[NEW].effective_date == "2025-01-01"
    assert listed[OLD].superseded_by == NEW
    assert listed[OLD].version_group == listed[NEW].version_group is not None
    assert "$65" in kb.search(QUESTION, "kb", Reader(), top_k=1)[0].text


@pytest.mark.parametrize(
    "old_meta, new_meta",
    [
        ({"effective_date": "2023-01-01"}, {"effective_date": "2025-01-01"}),
        ({}, {"supersedes": OLD}),
    ],
)
def test_metadata_decides_when_the_text_has_no_date(
    open_knowledge: OpenKnowledge, old_meta: dict[str, str], new_meta: dict[str, str]
) -> None:
    kb = open_knowledge()
    undated_old = travel(2023, 55, 180, "Airbnb stays are not allowed.", dated=False)
    undated_new = travel(2025, 65, 210, "Rentals are fine when cheaper.", dated=False)
    # The newer one arrives first: ingestion time alone would pick the wrong one.
    upload(kb, NEW, undated_new, new_meta)
    upload(kb, OLD, undated_old, old_meta)
    assert found(kb)[0] == (NEW, None)
    assert OLD not in {source for source, _ in found(kb)}


def test_front_matter_is_metadata_and_is_not_indexed(open_knowledge: OpenKnowledge) -> None:
    kb = open_knowledge()
    head = "---\neffective_date: 2025-01-01\nsupersedes: [" + OLD + "]\nauthor: Jo\n---\n"
    upload(kb, OLD, travel(2023, 55, 180, "Old.", dated=False))
    upload(kb, NEW, head + travel(2025, 65, 210, "New.", dated=False))
    listed = {d.source: d for d in kb.documents("kb")}
    assert listed[NEW].effective_date == "2025-01-01"
    assert listed[OLD].superseded_by == NEW
    assert not kb.search("effective_date supersedes author Jo", "kb", Reader(), mode="bm25")
    parsed = read_markdown(head.encode() + b"# T\n\nBody", "t")
    assert parsed.metadata == {"effective_date": "2025-01-01", "supersedes": [OLD]}
    assert [b.text for b in parsed.blocks] == ["T", "Body"]


def test_all_versions_when_asked_newest_first_and_marked(open_knowledge: OpenKnowledge) -> None:
    kb = open_knowledge()
    upload(kb, NEW, TRAVEL_2025)
    upload(kb, OLD, TRAVEL_2023)
    results = found(kb, "all")
    assert results.index((NEW, None)) < results.index((OLD, NEW))
    body = kb.search_response(
        SearchRequest(query=QUESTION, collection="kb", versions="all"), Reader()
    )
    old_hit = next(d for d in body["data"] if d["source"] == OLD)
    assert old_hit["superseded"] and old_hit["superseded_by"] == NEW
    assert old_hit["effective_date"] == "2023-01-01"
    assert [d["source"] for d in body["documents"]] == [NEW, OLD]


def test_the_answer_says_which_version_it_used(open_knowledge: OpenKnowledge) -> None:
    kb = open_knowledge()
    upload(kb, OLD, TRAVEL_2023)
    upload(kb, NEW, TRAVEL_2025)
    chat = ChatCompletionRequest(model="r", messages=[Message(role="user", content=QUESTION)])
    current = asyncio.run(kb.augment(chat, RouteKnowledge(collection="kb"), Reader()))
    system = current.request.messages[0].text()
    assert re.search(rf"\({re.escape(NEW)}(, [^,)]+)?, effective 2025-01-01\)", system)
    assert OLD not in system
    assert current.citations[0].to_dict()["effective_date"] == "2025-01-01"
    both = asyncio.run(kb.augment(chat, RouteKnowledge(collection="kb", versions="all"), Reader()))
    system = both.request.messages[0].text()
    label = rf"{re.escape(OLD)}(, [^,)]+)?, effective 2023-01-01, superseded by {re.escape(NEW)}\)"
    assert re.search(label, system)
    old = next(c for c in both.citations if c.source == OLD)
    assert old.to_dict()["superseded_by"] == NEW
    assert "superseded by" in old.label()


def test_deleting_the_current_version_makes_the_previous_one_current(
    open_knowledge: OpenKnowledge,
) -> None:
    kb = open_knowledge()
    upload(kb, OLD, TRAVEL_2023)
    upload(kb, NEW, TRAVEL_2025)
    assert kb.delete_documents("kb", [NEW]) == [NEW]
    assert found(kb)[0] == (OLD, None)
    assert {d.source: d.superseded_by for d in kb.documents("kb")} == {OLD: None}
    upload(kb, NEW, TRAVEL_2025)  # and back again
    assert found(kb)[0] == (NEW, None)


def test_replacing_the_new_version_with_other_text_leaves_the_group(
    open_knowledge: OpenKnowledge,
) -> None:
    kb = open_knowledge()
    upload(kb, OLD, TRAVEL_2023)
    upload(kb, NEW, TRAVEL_2025)
    upload(kb, NEW, EXPENSES)  # the file now holds another policy
    listed = {d.source: d for d in kb.documents("kb")}
    assert listed[OLD].superseded_by is None
    assert listed[NEW].version_group is None
    assert found(kb)[0] == (OLD, None)


def test_a_similar_but_different_policy_is_not_a_version(open_knowledge: OpenKnowledge) -> None:
    kb = open_knowledge()
    upload(kb, "finance/expenses.md", EXPENSES)
    upload(kb, NEW, TRAVEL_2025)
    listed = {d.source: d for d in kb.documents("kb")}
    assert listed["finance/expenses.md"].version_group is None
    assert listed[NEW].version_group is None
    hits = kb.search("Claims older than 90 days", "kb", Reader(), top_k=5, mode="bm25")
    assert {"finance/expenses.md", NEW} <= {p.source for p in hits}


def test_acl_changes_keep_a_superseded_version_out(open_knowledge: OpenKnowledge) -> None:
    kb = open_knowledge()
    upload(kb, OLD, TRAVEL_2023)
    upload(kb, NEW, TRAVEL_2025)
    # Same bytes, another ACL: the chunks' ACL is rewritten, the superseded mark must stay.
    report = kb.ingest_uploads([(OLD, TRAVEL_2023.encode())], "kb", acl=["public", "team:hr"])
    assert report.files[0].status == "acl_updated"
    assert OLD not in {source for source, _ in found(kb)}
    assert (OLD, NEW) in found(kb, "all")


def test_bad_metadata_is_refused_before_anything_is_written(
    open_knowledge: OpenKnowledge,
) -> None:
    kb = open_knowledge()
    for bad in ({"effective": "2025-01-01"}, {"effective_date": "soon"}):
        with pytest.raises(InvalidRequest) as refused:
            kb.ingest_uploads([(NEW, TRAVEL_2025.encode())], "kb", metadata=bad)
        assert refused.value.param == "metadata"
    assert kb.documents("kb") == []


def test_near_duplicate_threshold_separates_versions_from_similar_policies() -> None:
    versions = [similarity(signature(a), signature(b)) for a, b in VERSION_PAIRS]
    different = [similarity(signature(a), signature(b)) for a, b in DIFFERENT_PAIRS]
    assert min(versions) >= NEAR_DUPLICATE + 0.1
    assert max(different) <= NEAR_DUPLICATE - 0.1
    print(json.dumps({"versions": versions, "different": different}))


@pytest.mark.parametrize(
    "title, opening, expected",
    [
        ("Travel policy", "Effective date: March 1, 2025. All staff", date(2025, 3, 1)),
        ("Travel policy", "This policy is valid from 2025-01-01.", date(2025, 1, 1)),
        ("Reiserichtlinie", "Gültig ab 1. Januar 2025", date(2025, 1, 1)),
        ("Reiserichtlinie", "Gültig ab 03.04.2025", date(2025, 4, 3)),
        ("出張規程", "本規程は2025年4月1日施行", date(2025, 4, 1)),
        ("Política de viajes", "Vigente desde el 1 de marzo de 2025", date(2025, 3, 1)),
        ("Politique voyages", "En vigueur à compter du 1er mars 2025", date(2025, 3, 1)),
        ("Travel policy", "Effective 03/04/2025", date(2025, 3, 4)),
        ("Travel Policy 2025", "Book trains ahead.", date(2025, 1, 1)),
        ("Travel policy", "Replaces the rules of 2019.", None),
    ],
)
def test_dates_stated_in_the_text(title: str, opening: str, expected: date | None) -> None:
    assert found_date(title, opening) == expected


def test_order_supersedes_then_dates_then_ingestion_time() -> None:
    def member(source: str, when: str | None, at: float, *older: str) -> VersionMember:
        return VersionMember(source, older, when, at)

    dated = [member("b", "2025-01-01", 1.0), member("a", "2023-01-01", 2.0)]
    assert superseded_by(dated) == {"a": "b", "b": None}
    # An explicit `supersedes` beats the dates.
    explicit = [member("b", "2025-01-01", 1.0), member("a", "2023-01-01", 2.0, "b")]
    assert superseded_by(explicit) == {"b": "a", "a": None}
    undated = [member("x", None, 5.0), member("y", "2020-01-01", 3.0), member("z", None, 4.0)]
    assert superseded_by(undated) == {"y": "z", "z": "x", "x": None}


def test_a_database_made_before_versions_is_migrated(tmp_path: Path, embedder: MiniLmOnnx) -> None:
    path = tmp_path / "knowledge.db"
    db = connect(path, vectors=True)
    before = [m for m in MIGRATIONS if m.name < "knowledge.m003_versions"]
    apply_migrations(sqlite_transaction(db), before, "sqlite")
    db.execute("INSERT INTO collections (name, created_at) VALUES ('kb', 0)")
    db.execute("INSERT INTO acl_sets (key) VALUES ('public')")
    db.execute("INSERT INTO acl_members (principal, acl_id) VALUES ('public', 1)")
    db.execute(
        "INSERT INTO documents (collection_id, source, title, format, content_hash, fingerprint,"
        " acl_id, size_bytes, chunks, ingested_at) VALUES (1, 'old.md', 'Old', 'markdown', 'h',"
        " 'f', 1, 1, 0, 0)"
    )
    db.commit()
    db.close()
    kb = Knowledge(KnowledgeConfig(), SqliteKnowledgeStore(path), embedder)
    try:
        old = kb.documents("kb")[0]
        assert (old.source, old.version_group, old.superseded_by) == ("old.md", None, None)
        upload(kb, OLD, TRAVEL_2023)
        upload(kb, NEW, TRAVEL_2025)
        assert found(kb)[0] == (NEW, None)
    finally:
        kb.close()


def test_a_version_the_reader_may_not_read_does_not_hide_the_one_it_may(
    open_knowledge: OpenKnowledge,
) -> None:
    kb = open_knowledge()
    assert kb.ingest_uploads([(OLD, TRAVEL_2023.encode())], "kb", acl=["public"]).ok
    assert kb.ingest_uploads([(NEW, TRAVEL_2025.encode())], "kb", acl=["team:hr"]).ok
    assert found(kb)[0] == (OLD, None)
    hr = kb.search(QUESTION, "kb", Reader(team="hr"), top_k=5)
    assert {p.source for p in hr} == {OLD, NEW}


def test_japanese_versions_are_detected_and_dated(open_knowledge: OpenKnowledge) -> None:
    kb = open_knowledge()
    upload(kb, "ja/2025.md", JA_TRAVEL_2025)
    upload(kb, "ja/2023.md", JA_TRAVEL_2023)
    upload(kb, "ja/remote.md", JA_REMOTE)
    listed = {d.source: d for d in kb.documents("kb")}
    assert listed["ja/2025.md"].effective_date == "2025-04-01"
    assert listed["ja/2023.md"].superseded_by == "ja/2025.md"
    assert listed["ja/remote.md"].version_group is None
    hits = kb.search("国内出張の日当", "kb", Reader(), top_k=5)
    assert "ja/2023.md" not in {p.source for p in hits}


def test_a_restricted_document_naming_a_public_one_does_not_hide_it_or_its_name(
    open_knowledge: OpenKnowledge,
) -> None:
    kb = open_knowledge()
    assert kb.ingest_uploads([(OLD, TRAVEL_2023.encode())], "kb", acl=["public"]).ok
    secret = "secret/travel-plan.md"
    report = kb.ingest_uploads(
        [(secret, TRAVEL_2025.encode())], "kb", acl=["team:hr"], metadata={"supersedes": OLD}
    )
    assert report.ok, report.files
    assert found(kb)[0] == (OLD, None)  # the public reader keeps the version it may read
    assert all(by != secret for _, by in found(kb, "all"))
    hr = kb.search(QUESTION, "kb", Reader(team="hr"), top_k=5)
    assert {p.source for p in hr} == {OLD, secret}  # hr may read both: neither is hidden


def test_narrowing_the_newer_versions_acl_brings_the_older_one_back(
    open_knowledge: OpenKnowledge,
) -> None:
    kb = open_knowledge()
    upload(kb, OLD, TRAVEL_2023)
    upload(kb, NEW, TRAVEL_2025)
    assert OLD not in {source for source, _ in found(kb)}
    report = kb.ingest_uploads([(NEW, TRAVEL_2025.encode())], "kb", acl=["team:hr"])
    assert report.files[0].status == "acl_updated"
    assert found(kb)[0] == (OLD, None)
    assert all(source != NEW and by is None for source, by in found(kb, "all"))
