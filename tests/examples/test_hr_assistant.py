"""examples/hr-assistant (AskHR): its README run as written against a real gateway."""

from __future__ import annotations

from pathlib import Path

from tests.examples.blueprint import run_blueprint, table_rows

HR_ONLY = "hr-only/salary-bands.md"


def answers_by_question(output: str) -> dict[str, dict[str, str]]:
    """`[who] question` -> its `may retrieve`, `answer` and `cited` lines."""
    found: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in output.splitlines():
        if line.startswith("["):
            current = found.setdefault(line, {})
        elif ": " in line:
            name, _, value = line.strip().partition(": ")
            current[name] = value
    return found


def test_an_employee_never_retrieves_the_hr_only_document_and_hr_does(tmp_path: Path) -> None:
    run = run_blueprint("hr-assistant", tmp_path)
    assert "hr: 4 added" in run.output_of("ingest policies")
    assert "hr: 1 added" in run.output_of("ingest hr-only")

    asked = answers_by_question(run.output_of("python askhr.py"))
    leave = asked["[employee] How many days of annual leave do I get?"]
    assert leave["cited"].split(", ")[0] == "policies/annual-leave.md"
    assert "[1] policies/annual-leave.md" in leave["answer"]  # the Sources footer
    employee = asked["[employee] What is the salary band for senior engineers?"]
    assert HR_ONLY not in employee["may retrieve"] and HR_ONLY not in employee["cited"]
    assert "85,000" not in employee["answer"]  # the band itself never reached the model
    hr = asked["[hr] What is the salary band for senior engineers?"]
    assert hr["may retrieve"].split(", ")[0] == HR_ONLY
    assert hr["cited"].split(", ")[0] == HR_ONLY

    assert run.output_of("switchgear search").startswith(f"[1] 1.000 {HR_ONLY}")
    teams = {row["team"]: row for row in table_rows(run.output_of("switchgear usage"))}
    # Each key's searches and chats are ledgered under its team.
    assert (teams["engineering"]["requests"], teams["hr"]["requests"]) == ("4", "2")
    print(f"askhr.py took {run.seconds_of('python askhr.py'):.2f} s")
