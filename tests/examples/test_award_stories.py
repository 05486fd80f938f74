"""examples/award-stories: its README run as written against a real gateway; one story per
nominee from one template, all requested at once with the async openai client."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ledger_rows
from tests.examples.blueprint import EXAMPLES, run_blueprint, table_rows


def test_every_nominee_gets_a_story_from_the_template_concurrently(tmp_path: Path) -> None:
    nominees = json.loads((EXAMPLES / "award-stories" / "nominees.json").read_text())
    run = run_blueprint("award-stories", tmp_path)

    *stories, total = run.output_of("python stories.py").splitlines()
    assert total.startswith(f"{len(nominees)} stories in ")
    written = dict(line.split(": ", 1) for line in stories)
    assert [name.split(" (")[0] for name in written] == [n["nominee"] for n in nominees]
    assert all(text not in ("''", '""') for text in written.values())

    rows = ledger_rows(run.folder / "data" / "switchgear.db")
    assert [(row["template"], row["status"]) for row in rows] == [("nominee-story@1", "ok")] * 6
    # All six were in flight together: every trip began (`created_at`) before any ended.
    ended = [row["created_at"] + row["latency_ms"] / 1000 for row in rows]
    assert max(row["created_at"] for row in rows) < min(ended)
    usage = {row["model"]: row for row in table_rows(run.output_of("switchgear usage"))}
    assert usage["smollm2-135m-instruct"]["requests"] == "6"
    print(f"stories.py took {run.seconds_of('python stories.py'):.2f} s")
