"""examples/privacy-browser-chat: its README run as written against a real gateway, a fake
OpenAI upstream standing in for the hosted model; what the page, the model and the ledger
each get."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ledger_rows
from tests.examples.blueprint import run_blueprint
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake

PAGE = "http://127.0.0.1:8765"


def test_the_page_gets_its_answer_the_model_no_identity_and_the_ledger_no_user(
    tmp_path: Path,
) -> None:
    hosted = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(hosted)) as url:
        run = run_blueprint("privacy-browser-chat", tmp_path, {"127.0.0.1:9131": url[7:]})

    lines = run.output_of("python browser_replay.py").splitlines()
    assert lines[0] == f"preflight: 200 allow-origin={PAGE}"
    assert lines[1] == (
        f"from {PAGE}: gpt-4o-mini@openai allow-origin={PAGE} answer='fake-openai says: "
        "Draft a reply to Anna Schmidt at anna.schmidt@example.org'"  # its values restored
    )
    assert lines[2] == "from https://tracker.example: refused 403 cross_origin_refused"

    private, signed_in = [r["json"] for r in hosted.requests]
    assert private["messages"] == [
        {"role": "user", "content": "Draft a reply to <PERSON_1> at <EMAIL_1>"}
    ]
    assert "user" not in private  # caller_ids: drop
    assert "anna" not in json.dumps(private).lower()
    assert signed_in["messages"][0]["content"] == "Hi"  # the refused page reached nothing

    rows = ledger_rows(run.folder / "data" / "switchgear.db")
    kept = {row["route"]: row["user"] for row in rows}
    assert kept == {"private-chat": None, "signed-in": "browser-profile-7f3a"}
    assert "('private-chat', None, 'ok', " in run.output_of("python -c")
    print(f"browser_replay.py took {run.seconds_of('python browser_replay.py'):.2f} s")
