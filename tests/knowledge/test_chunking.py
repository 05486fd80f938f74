"""Chunks follow the document's structure: headings bound them, tables and paragraphs stay
whole when they fit, and what is too big is split where a reader would split it."""

from __future__ import annotations

import itertools

from switchgear.knowledge.chunker import chunk_document
from switchgear.knowledge.readers import read_document
from tests.knowledge.make_docs import docx_bytes, pdf_bytes


def chunks(data: bytes | str, name: str, max_chars: int = 400, overlap: int = 80) -> list:  # type: ignore[type-arg]
    raw = data.encode() if isinstance(data, str) else data
    return chunk_document(read_document(raw, name), max_chars, overlap)


def test_small_sections_share_a_chunk_under_their_own_heading_lines() -> None:
    text = (
        "# Handbook\n\nIntro line.\n\n## Leave\n\n### Annual\n\nTwenty-five days.\n\n"
        "### Sick\n\nCall your manager.\n\n## Travel\n\nTrains under four hours.\n\n"
        "```\ncode stays together\nacross lines\n```\n"
    )
    found = [(c.section, c.text) for c in chunks(text, "h.md")]
    assert found == [
        (
            None,
            "Intro line.\n\nLeave > Annual\n\nTwenty-five days.\n\nSick\n\nCall your manager."
            "\n\nTravel\n\nTrains under four hours.\n\ncode stays together\nacross lines",
        )
    ]
    # `chunking.merge_sections: false`: a chunk never crosses a heading.
    apart = chunk_document(read_document(text.encode(), "h.md"), 400, 80, merge_sections=False)
    assert [(c.section, c.text) for c in apart] == [
        (None, "Intro line."),
        ("Leave > Annual", "Twenty-five days."),
        ("Leave > Sick", "Call your manager."),
        ("Travel", "Trains under four hours.\n\ncode stays together\nacross lines"),
    ]


def test_a_section_that_does_not_fit_starts_a_chunk_named_after_it() -> None:
    annual = "Full-time staff get twenty-five days of paid leave each year. " * 3
    sick = "Tell your manager before ten on the first day you are ill. " * 3
    text = f"# Leave\n\n## Annual\n\n{annual}\n\n## Sick\n\n{sick}\n\n## Carry-over\n\nFive days."
    found = [(c.section, c.text) for c in chunks(text, "l.md", max_chars=300)]
    assert found == [
        ("Annual", annual.strip()),
        ("Sick", f"{sick.strip()}\n\nCarry-over\n\nFive days."),
    ]
    # A section too big for one chunk is split as before, each piece under its own name.
    long = chunks(f"## Policy\n\n{annual * 4}\n\n## Note\n\nShort.", "p.md", max_chars=300)
    assert {c.section for c in long[:-1]} == {"Policy"} and len(long) > 2
    assert long[-1].text.endswith("Note\n\nShort.")


def test_a_table_that_fits_is_one_piece_and_a_large_one_repeats_its_header() -> None:
    small = "## Prices\n\n| Item | Price |\n|---|---|\n| Tea | 2 |\n| Cake | 4 |\n"
    assert [c.text for c in chunks(small, "p.md")] == ["Item | Price\nTea | 2\nCake | 4"]

    rows = "".join(f"| Item number {n} | {n * 10} euros |\n" for n in range(60))
    large = chunks(f"## Prices\n\n| Item | Price |\n|---|---|\n{rows}", "p.md", max_chars=300)
    assert len(large) > 3
    for chunk in large:
        assert chunk.text.startswith("Item | Price\n")
        assert len(chunk.text) <= 300
        assert chunk.section == "Prices"
    body = [line for c in large for line in c.text.split("\n")[1:]]
    assert body == [f"Item number {n} | {n * 10} euros" for n in range(60)]


def test_long_prose_splits_at_sentences_with_overlap() -> None:
    sentences = [f"Sentence number {n} says something useful about the policy." for n in range(30)]
    found = chunks("## Policy\n\n" + " ".join(sentences), "p.md", max_chars=300, overlap=80)
    assert len(found) > 3
    for chunk in found:
        assert len(chunk.text) <= 300
        assert chunk.text.endswith(".")
        assert chunk.text.startswith("Sentence number")
    # Each chunk after the first begins with the previous chunk's last sentence.
    for before, after in itertools.pairwise(found):
        last = before.text.rsplit("Sentence", 1)[1]
        assert after.text.startswith("Sentence" + last)
    joined = " ".join(c.text for c in found)
    assert all(s in joined for s in sentences)


def test_pdf_chunks_carry_their_page_and_never_span_two() -> None:
    data = pdf_bytes(
        [["Overview", "Page one text about onboarding."], ["Page two text about laptops."]],
        title="IT guide",
    )
    document = read_document(data, "it.pdf")
    assert (document.title, document.pages) == ("IT guide", 2)
    found = chunk_document(document, 1000, 100)
    assert [(c.page, c.section, c.text) for c in found] == [
        (1, "Overview", "Page one text about onboarding."),
        (2, "Overview", "Page two text about laptops."),
    ]


def test_docx_headings_and_tables() -> None:
    data = docx_bytes(
        "Benefits", [("Pension", ["We match 5%.", "table:Plan|Match;Basic|3%;Plus|5%"])]
    )
    document = read_document(data, "b.docx")
    assert document.title == "Benefits"
    found = chunk_document(document, 1000, 100)
    assert [(c.section, c.text) for c in found] == [
        ("Pension", "We match 5%.\n\nPlan | Match\nBasic | 3%\nPlus | 5%")
    ]


def test_html_keeps_structure_and_drops_scripts_and_navigation() -> None:
    html = (
        "<html><head><title>Visitors</title><style>p{}</style></head><body>"
        "<nav>Home | About</nav><h1>Visitors</h1><h2>Parking</h2><p>Use level -2.</p>"
        "<ul><li>Bring ID</li><li>Sign in</li></ul>"
        "<table><tr><th>Day</th><th>Hours</th></tr><tr><td>Mon</td><td>8-18</td></tr></table>"
        "<script>alert(1)</script></body></html>"
    )
    document = read_document(html.encode(), "v.html")
    assert document.title == "Visitors"
    found = chunk_document(document, 1000, 100)
    assert [(c.section, c.text) for c in found] == [
        ("Parking", "Use level -2.\n\nBring ID\n\nSign in\n\nDay | Hours\nMon | 8-18")
    ]


def test_csv_rows_keep_their_column_names() -> None:
    data = "name;team;room\nAda;Payments;4.12\nLin;Search;2.01\n"
    found = chunks(data, "people.csv")
    assert [c.text for c in found] == [
        "name | team | room\nname: Ada; team: Payments; room: 4.12\n"
        "name: Lin; team: Search; room: 2.01"
    ]


def test_windows_1252_text_is_read() -> None:
    text = "Caf\u00e9 opens at 8 \u2013 bring your badge."
    document = read_document(text.encode("cp1252"), "c.txt")
    assert document.blocks[0].text == text
