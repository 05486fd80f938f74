"""examples/recruiting-chatbot: its README run as written against a real gateway, a fake
OpenAI upstream standing in for the hosted model; the template reaches it rendered, the
candidates' data does not reach it at all."""

from __future__ import annotations

import json
from pathlib import Path

from tests.examples.blueprint import run_blueprint, table_rows
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake

PERSONAL = ["Jonas", "Weber", "jonas.weber", "1234567", "Priya", "Nair", "priya.nair", "14/03/1991"]


def test_screening_prompt_rendered_and_candidate_data_pseudonymised(tmp_path: Path) -> None:
    hosted = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(hosted)) as url:
        run = run_blueprint("recruiting-chatbot", tmp_path, {"127.0.0.1:9141": url[7:]})

    said = dict(line.split(": ", 1) for line in run.output_of("python screen.py").splitlines())
    assert "Jonas Weber, jonas.weber@example.com, +49 170 1234567" in said["Jonas Weber"]
    assert "Priya Nair (priya.nair@example.net, born 14/03/1991)" in said["Priya Nair"]
    assert said["no role"] == "refused 400 template_variable_invalid (prompt_variables.role)"

    jonas, priya = [r["json"] for r in hosted.requests]  # the refused one never left
    system = jonas["messages"][0]
    assert system["role"] == "system"
    assert "for Northwind Logistics. The role: warehouse shift lead." in system["content"]
    assert jonas["messages"][1]["content"].startswith("<PERSON_1>, <EMAIL_1>, <PHONE_1>.")
    assert priya["messages"][1]["content"].startswith(
        "<PERSON_1> (<EMAIL_1>, born <DATE_OF_BIRTH_1>)."
    )
    assert jonas["user"].startswith("u-") and "recruiter" not in jonas["user"]
    sent = json.dumps(hosted.requests)
    assert not [value for value in PERSONAL if value in sent]

    usage = {row["model"]: row for row in table_rows(run.output_of("switchgear usage"))}
    assert usage["gpt-4o-mini"]["requests"] == "2"
    print(f"screen.py took {run.seconds_of('python screen.py'):.2f} s")
