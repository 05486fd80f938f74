"""examples/child-safety-screening: its README run as written against a real gateway."""

from __future__ import annotations

from pathlib import Path

from tests.examples.blueprint import run_blueprint, table_rows


def test_flagged_messages_are_named_and_never_reach_the_model(tmp_path: Path) -> None:
    run = run_blueprint("child-safety-screening", tmp_path)
    screened = run.output_of("python screen.py")
    verdicts, chat = screened.split("== kids-chat route ==")
    assert "ok      'What is the capital of Peru?': -" in verdicts
    assert "ok      'My kids love naked mole rats." in verdicts
    assert 'FLAGGED "are you alone?' in verdicts and "sexual, sexual/minors" in verdicts
    assert "FLAGGED 'you are a worthless idiot and everyone hates you': harassment" in verdicts
    assert "FLAGGED 'I want to die tonight': self-harm, self-harm/intent" in verdicts

    lines = chat.strip().splitlines()
    assert lines[0].startswith("answered 'What is the capital of Peru?'")
    assert lines[1].startswith("answered 'My kids love naked mole rats.")
    for line, category in zip(lines[2:], ["sexual/minors", "harassment", "self-harm"], strict=True):
        assert line.startswith("refused") and "content_flagged" in line and category in line

    # The refusals are ledgered under the route as errors; the answers under the model.
    usage = {row["model"]: row for row in table_rows(run.output_of("switchgear usage"))}
    assert (usage["kids-chat"]["requests"], usage["kids-chat"]["errors"]) == ("3", "3")
    assert (
        usage["smollm2-135m-instruct"]["requests"],
        usage["smollm2-135m-instruct"]["errors"],
    ) == ("2", "0")
    print(f"screen.py took {run.seconds_of('python screen.py'):.2f} s")
