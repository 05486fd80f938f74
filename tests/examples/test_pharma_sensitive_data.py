"""examples/pharma-sensitive-data: its README run as written against a real gateway, with a
fake OpenAI upstream standing in for the closed model."""

from __future__ import annotations

import json
from pathlib import Path

from tests.examples.blueprint import run_blueprint
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake

PERSONAL = ["Maria", "Schmidt", "maria.schmidt@example.org", "14.03.1961", "00481516", "1234567"]


def test_the_closed_model_never_receives_the_personal_values(tmp_path: Path) -> None:
    closed = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(closed, models=["gpt-4o"])) as url:
        run = run_blueprint("pharma-sensitive-data", tmp_path, {"127.0.0.1:9107": url[7:]})

    went = dict(line.split(": ", 1) for line in run.output_of("python pharma.py").splitlines())
    assert went["general"].startswith("gpt-4o@openai: 'fake-openai says: Summarise how metformin")
    assert went["patient letter"].startswith("smollm2-135m-instruct@local: ")
    assert went["adverse event"].startswith("smollm2-135m-instruct@local: ")

    received = json.dumps(closed.requests)
    for value in PERSONAL:
        assert value not in received
    chats = [r["json"] for r in closed.requests if r["path"].endswith("/chat/completions")]
    assert len(chats) == 1 and "metformin" in chats[0]["messages"][0]["content"]

    ledger = run.output_of("python ledger.py")
    for value in PERSONAL:
        assert value not in ledger  # types and counts only
    general, letter, event = ledger.splitlines()
    assert general.startswith("gpt-4o@openai: ") and '"action":"allow"' in general
    for line, types in (
        (letter, ["PERSON", "EMAIL", "DATE_OF_BIRTH"]),
        (event, ["MEDICAL_RECORD", "PHONE"]),
    ):
        assert line.startswith("smollm2-135m-instruct@local: ") and "route_local" in line
        assert all(t in line for t in types)
    print(f"pharma.py took {run.seconds_of('python pharma.py'):.2f} s")
