"""Ingest as an operator sees it: every format goes in, citations name the right file, page and
section, a second run changes nothing, deleted files can never be cited again, and bad files
are reported one by one while the rest of the batch goes in, leaving nothing half-written."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from switchgear.knowledge.acl import Acl, Reader
from switchgear.knowledge.progress import ProgressBar
from switchgear.knowledge.records import ChunkDraft, IngestProgress, Passage
from switchgear.knowledge.retrieve import Mode
from switchgear.knowledge.service import Knowledge
from switchgear.knowledge.store import DocumentWrite, StoreError
from tests.knowledge.conftest import OpenKnowledge
from tests.knowledge.make_docs import docx_bytes, encrypted_pdf_bytes, pdf_bytes, write

ANYONE = Reader()
PDF_FACT = "Expense claims older than ninety days are rejected by the finance office."
DOCX_FACT = "The pension plan matches contributions up to six percent of base salary."
HTML_FACT = "Visitors must be registered at reception by their host before arrival."
TXT_FACT = "Fire drills take place on the first Monday of every quarter."
CSV_FACT = "Lisbon"


def make_folder(root: Path) -> Path:
    folder = root / "policies"
    write(
        folder / "leave.md",
        "# Leave policy\n\n## Annual leave\n\nFull-time employees receive 25 days of paid "
        "annual leave per calendar year.\n\n## Sick leave\n\nTell your manager before 10am "
        "on the first day of illness.\n\n| Type | Days |\n|---|---|\n| Annual | 25 |\n"
        "| Sick | unlimited with a note |\n",
    )
    write(
        folder / "finance" / "expenses.pdf",
        pdf_bytes(
            [
                ["Travel", "Book trains for journeys under four hours."],
                ["Claims", PDF_FACT],
            ],
            title="Expenses handbook",
        ),
    )
    write(folder / "benefits.docx", docx_bytes("Benefits", [("Pension", [DOCX_FACT])]))
    write(
        folder / "visitors.html",
        f"<html><head><title>Visitors</title></head><body><h1>Visitors</h1><h2>Registration"
        f"</h2><p>{HTML_FACT}</p><script>tracking()</script></body></html>",
    )
    write(folder / "safety.txt", f"Fire safety\n\n{TXT_FACT}\n")
    write(folder / "offices.csv", "city,country,desks\nLisbon,Portugal,120\nOsaka,Japan,80\n")
    return folder


def top(knowledge: Knowledge, query: str, reader: Reader = ANYONE) -> Passage:
    passages = knowledge.search(query, "kb", reader, top_k=3)
    assert passages, query
    return passages[0]


def test_every_format_goes_in_and_citations_point_to_file_page_and_section(
    tmp_path: Path, open_knowledge: OpenKnowledge
) -> None:
    knowledge = open_knowledge()
    folder = make_folder(tmp_path)
    events: list[IngestProgress] = []
    report = knowledge.ingest([folder], "kb", progress=events.append)

    assert report.ok, report.to_dict()
    assert report.count("added") == 6
    assert [e.done for e in events] == [1, 2, 3, 4, 5, 6]
    assert {e.total for e in events} == {6}

    pdf = top(knowledge, "How old can an expense claim be?")
    assert (pdf.source, pdf.title, pdf.page, pdf.section) == (
        "policies/finance/expenses.pdf",
        "Expenses handbook",
        2,
        "Claims",
    )
    assert PDF_FACT in pdf.text
    sick = knowledge.search("Who do I tell when I am ill?", "kb", ANYONE, top_k=1)[0]
    # The two short sections share one chunk, named after the first; each keeps its heading.
    assert (sick.source, sick.section, sick.page) == ("policies/leave.md", "Annual leave", None)
    assert "\n\nSick leave\n\nTell your manager" in sick.text
    # The table stayed whole, with the paragraph before it.
    assert "Annual | 25\nSick | unlimited with a note" in sick.text
    pension = top(knowledge, "How much does the company add to my pension?")
    assert (pension.source, pension.title, pension.section) == (
        "policies/benefits.docx",
        "Benefits",
        "Pension",
    )
    visitor = top(knowledge, "How do I register a visitor?")
    assert visitor.source == "policies/visitors.html"
    assert "tracking" not in visitor.text
    assert top(knowledge, "When are fire drills?").source == "policies/safety.txt"
    lisbon = top(knowledge, "How many desks are in Lisbon?")
    assert "city: Lisbon; country: Portugal; desks: 120" in lisbon.text


def test_reingest_is_idempotent_and_only_changed_files_are_embedded(
    tmp_path: Path, open_knowledge: OpenKnowledge
) -> None:
    knowledge = open_knowledge()
    folder = make_folder(tmp_path)
    first = knowledge.ingest([folder], "kb")
    chunks = knowledge.store.chunk_count()
    ids_before = {p.chunk_id for p in knowledge.search("fire drills", "kb", ANYONE, top_k=50)}

    second = knowledge.ingest([folder], "kb")
    assert {f.status for f in second.files} == {"unchanged"}
    assert second.chunks_embedded == 0
    assert knowledge.store.chunk_count() == chunks

    write(folder / "safety.txt", "Fire safety\n\nFire drills take place every second Tuesday.\n")
    third = knowledge.ingest([folder], "kb")
    assert {f.source: f.status for f in third.files if f.status != "unchanged"} == {
        "policies/safety.txt": "updated"
    }
    assert third.chunks_embedded == 1
    assert knowledge.store.chunk_count() == chunks
    answer = top(knowledge, "When are fire drills?")
    assert "second Tuesday" in answer.text
    # Unchanged documents kept their chunk ids: citations already given still resolve.
    ids_after = {p.chunk_id for p in knowledge.search("fire drills", "kb", ANYONE, top_k=50)}
    assert len(ids_before & ids_after) == len(ids_before) - 1
    assert first.chunks_embedded == chunks


def test_a_deleted_file_is_removed_and_can_never_be_cited_again(
    tmp_path: Path, open_knowledge: OpenKnowledge
) -> None:
    knowledge = open_knowledge()
    folder = make_folder(tmp_path)
    knowledge.ingest([folder], "kb")
    before = knowledge.search("How old can an expense claim be?", "kb", ANYONE, top_k=10)
    pdf_ids = [p.chunk_id for p in before if p.source.endswith("expenses.pdf")]
    assert pdf_ids

    shutil.rmtree(folder / "finance")
    report = knowledge.ingest([folder], "kb")
    assert [(f.source, f.status) for f in report.files if f.status != "unchanged"] == [
        ("policies/finance/expenses.pdf", "removed")
    ]
    modes: tuple[Mode, ...] = ("hybrid", "bm25", "vector")
    for mode in modes:
        found = knowledge.search(
            "expense claims rejected ninety days", "kb", ANYONE, top_k=50, mode=mode
        )
        assert all(not p.source.endswith("expenses.pdf") for p in found)
        assert PDF_FACT not in " ".join(p.text for p in found)
    assert knowledge.store.passages(pdf_ids, ANYONE) == {}
    # Ids are never reused: new text cannot inherit an old citation.
    write(folder / "new.md", f"# New\n\n{PDF_FACT}")
    knowledge.ingest([folder], "kb")
    fresh = knowledge.search(PDF_FACT, "kb", ANYONE, top_k=1)[0]
    assert fresh.chunk_id > max(pdf_ids)
    assert fresh.source == "policies/new.md"


def test_a_file_given_on_its_own_does_not_remove_its_neighbours(
    tmp_path: Path, open_knowledge: OpenKnowledge
) -> None:
    knowledge = open_knowledge()
    folder = make_folder(tmp_path)
    knowledge.ingest([folder], "kb", root=tmp_path)
    report = knowledge.ingest([folder / "safety.txt"], "kb", root=tmp_path)
    assert [(f.source, f.status) for f in report.files] == [("policies/safety.txt", "unchanged")]
    assert len(knowledge.documents("kb")) == 6


def test_bad_files_fail_one_by_one_and_the_rest_goes_in(
    tmp_path: Path, open_knowledge: OpenKnowledge
) -> None:
    knowledge = open_knowledge(max_file_bytes=200_000)
    folder = tmp_path / "inbox"
    good = pdf_bytes([["Parking", "Parking permits are renewed every January."]])
    write(folder / "good.pdf", good)
    write(folder / "truncated.pdf", good[: len(good) // 3])
    write(folder / "garbage.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 20)
    write(folder / "locked.pdf", encrypted_pdf_bytes([["The merger closes in May."]]))
    write(folder / "empty.md", "")
    write(folder / "blank.txt", "  \n\n \n")
    write(folder / "sheet.xlsx", b"PK\x03\x04 not really")
    write(folder / "binary.txt", b"\x00\x01\x02 binary")
    write(folder / "huge.txt", "word " * 60_000)
    write(folder / "fake.docx", b"this is not a zip")
    write(folder / "notes.md", "# Notes\n\nThe canteen opens at 8am.")

    report = knowledge.ingest([folder, tmp_path / "missing"], "kb")
    errors = {f.source: f.error for f in report.files if f.status == "failed"}
    added = sorted(f.source for f in report.files if f.status == "added")

    assert added == ["inbox/good.pdf", "inbox/notes.md"]
    assert "corrupt PDF" in errors["inbox/truncated.pdf"]
    assert "PDF" in errors["inbox/garbage.pdf"]
    assert errors["inbox/locked.pdf"].startswith("password-protected PDF")
    assert errors["inbox/empty.md"].startswith("empty file")
    assert errors["inbox/blank.txt"].startswith("empty file")
    assert errors["inbox/sheet.xlsx"].startswith("unsupported format: `.xlsx`")
    assert errors["inbox/binary.txt"].startswith("binary data")
    assert "over the 0.2 MiB limit (knowledge.max_file_bytes)" in errors["inbox/huge.txt"]
    assert errors["inbox/fake.docx"].startswith("not a DOCX file")
    assert errors[str(tmp_path / "missing")] == "no such file or directory"
    assert len(errors) == 10

    # Nothing of the failed files is in the index.
    assert sorted(d.source for d in knowledge.documents("kb")) == added
    assert knowledge.store.chunk_count() == 2
    assert not knowledge.search("When does the merger close?", "kb", ANYONE, mode="bm25")
    assert report.to_dict()["files"][0]["status"] in ("added", "failed")


def test_a_changed_file_that_breaks_keeps_its_last_good_version(
    tmp_path: Path, open_knowledge: OpenKnowledge
) -> None:
    knowledge = open_knowledge()
    path = write(tmp_path / "docs" / "rules.pdf", pdf_bytes([["Desks are cleared every Friday."]]))
    knowledge.ingest([tmp_path / "docs"], "kb")
    path.write_bytes(path.read_bytes()[:100])

    report = knowledge.ingest([tmp_path / "docs"], "kb")
    assert report.files[0].status == "failed"
    assert report.files[0].error is not None
    assert report.files[0].error.endswith("the previously indexed version is kept")
    assert "cleared every Friday" in top(knowledge, "When are desks cleared?").text


def test_a_write_that_fails_midway_leaves_the_old_version_whole(
    tmp_path: Path, open_knowledge: OpenKnowledge
) -> None:
    knowledge = open_knowledge()
    write(tmp_path / "docs" / "a.md", "# A\n\nThe library closes at nine.")
    knowledge.ingest([tmp_path / "docs"], "kb")
    store = knowledge.store
    before = store.chunk_count()
    state = store.document_state("kb", "docs/a.md")

    drafts = [ChunkDraft(0, "first new chunk", None, None), ChunkDraft(1, None, None, None)]  # type: ignore[arg-type]
    broken = DocumentWrite(
        collection="kb",
        source="docs/a.md",
        title="A",
        format="markdown",
        content_hash="new",
        fingerprint="new",
        acl=Acl.public(),
        pages=None,
        size_bytes=1,
        chunks=drafts,
        vectors=np.ones((2, 384), dtype=np.float32),
    )
    # The database refuses the chunk (NOT NULL), or its keyword terms cannot be made.
    with pytest.raises(Exception, match=r"(?i)not.null|not None"):
        store.replace_document(broken)
    with pytest.raises(StoreError, match="vectors"):
        store.replace_document(replace(broken, vectors=np.ones((1, 384), np.float32)))

    assert store.chunk_count() == before
    assert store.document_state("kb", "docs/a.md") == state
    assert knowledge.search("first new chunk", "kb", ANYONE, mode="bm25") == []
    assert "closes at nine" in top(knowledge, "When does the library close?").text


def test_a_folder_ingested_as_its_own_root_mirrors_it(
    tmp_path: Path, open_knowledge: OpenKnowledge
) -> None:
    knowledge = open_knowledge()
    folder = make_folder(tmp_path)
    knowledge.ingest([folder], "kb", root=folder)
    assert "leave.md" in [d.source for d in knowledge.documents("kb")]
    (folder / "leave.md").unlink()
    report = knowledge.ingest([folder], "kb", root=folder)
    assert [(f.source, f.status) for f in report.files if f.status == "removed"] == [
        ("leave.md", "removed")
    ]
    assert knowledge.delete_collection("kb")
    assert knowledge.collections() == []
    assert knowledge.store.chunk_count() == 0


def test_the_progress_bar_draws_on_a_terminal_and_lists_failures(
    tmp_path: Path, open_knowledge: OpenKnowledge
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    knowledge = open_knowledge()
    write(tmp_path / "docs" / "a.md", "# A\n\nThe canteen opens at eight.")
    write(tmp_path / "docs" / "b.xlsx", b"PK")
    terminal, log = Terminal(), io.StringIO()
    knowledge.ingest([tmp_path / "docs"], "kb", progress=ProgressBar(terminal))
    write(tmp_path / "docs" / "c.md", "# C\n\nParking is free.")
    knowledge.ingest([tmp_path / "docs"], "kb", progress=ProgressBar(log))
    assert "[###############...............] 1/2 docs/a.md" in terminal.getvalue()
    assert "failed: docs/b.xlsx\n" in terminal.getvalue()
    assert terminal.getvalue().endswith("] 2/2 " + "docs/b.xlsx".ljust(40) + "\n")
    assert log.getvalue() == "failed: docs/b.xlsx\n"
