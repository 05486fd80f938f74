"""examples/game-characters: its README run as written against a real gateway; personas as
versioned templates, filled per request, each usage row naming the version it used."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ledger_rows
from tests.examples.blueprint import run_blueprint


def test_each_character_speaks_from_its_template_and_a_missing_variable_is_refused(
    tmp_path: Path,
) -> None:
    run = run_blueprint("game-characters", tmp_path)
    said = dict(line.split(": ", 1) for line in run.output_of("python characters.py").splitlines())
    for who in ("Mira (tavern)", "Brom (npc)", "Edda (npc)"):
        assert said[who] not in ("''", '""'), who  # the embedded model answered in the role
    assert said["nameless (npc)"] == "refused 400 template_variable_invalid (prompt_variables.name)"

    stored = json.loads(run.output_of("curl -s", "/admin/templates"))["data"]
    assert {(t["name"], t["version"], t["latest"]) for t in stored} == {
        ("innkeeper", 1, True),
        ("npc", 1, True),
    }
    rows = ledger_rows(run.folder / "data" / "switchgear.db", "status = 'ok'")
    assert [(row["route"], row["template"]) for row in rows] == [
        ("tavern", "innkeeper@1"),
        ("townsfolk", "npc@1"),
        ("townsfolk", "npc@1"),
    ]
    print(f"characters.py took {run.seconds_of('python characters.py'):.2f} s")
