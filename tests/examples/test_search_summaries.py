"""examples/search-summaries: its README run as written against a real gateway."""

from __future__ import annotations

from pathlib import Path

from tests.examples.blueprint import run_blueprint

COLD = "pages/heat-pumps-in-cold-climates.md"


def test_search_returns_passages_and_the_summary_cites_them_by_number(tmp_path: Path) -> None:
    run = run_blueprint("search-summaries", tmp_path)
    assert "web: 5 added" in run.output_of("switchgear ingest")

    printed = run.output_of("python summarise.py")
    search, summary = printed.split("\nSummary:\n")
    hits = search.splitlines()[1:]
    assert len(hits) == 5 and f"({COLD})" in hits[0]  # the page that answers it ranks first
    answer, citations = summary.split("\nCitations:\n")
    assert answer.strip()
    numbered = [line.strip() for line in citations.splitlines()]
    assert len(numbered) == 3 and numbered[0].startswith("[1] Do heat pumps work in cold")
    # Every [n] in the summary (its own, or the footer's) names one of the cited pages.
    cited = {line.split("(")[-1].rstrip(")") for line in numbered}
    for n, line in enumerate(numbered, start=1):
        assert line.startswith(f"[{n}] ")
    assert "[1]" in answer and all(f"[{n}]" not in answer for n in (4, 5))
    assert cited <= {hit.split("(")[-1].rstrip(")") for hit in hits}

    on_the_command_line = run.output_of("switchgear search")
    assert on_the_command_line.startswith("[1] 1.000 pages/heat-pump-running-costs.md")
    print(f"summarise.py took {run.seconds_of('python summarise.py'):.2f} s")
