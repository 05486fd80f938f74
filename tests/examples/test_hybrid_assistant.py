"""examples/hybrid-assistant: its README run as written against a real gateway, with a fake
OpenAI upstream standing in for the closed API."""

from __future__ import annotations

import json
from pathlib import Path

from tests.examples.blueprint import run_blueprint, table_rows
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake


def test_own_model_first_closed_api_for_the_rest_and_personal_data_stays(
    tmp_path: Path,
) -> None:
    closed = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(closed)) as url:
        run = run_blueprint("hybrid-assistant", tmp_path, {"127.0.0.1:9105": url[7:]})

    served = dict(line.split(": ", 1) for line in run.output_of("python hybrid.py").splitlines())
    assert served["plain question"].startswith("smollm2-135m-instruct@local: ")
    assert served["two alternatives"] == (
        "gpt-4o-mini@openai: ['fake-openai says: Suggest a name for a bakery.', "
        "'fake-openai choice 1 says: Suggest a name for a bakery.']"
    )
    assert served["personal data"].startswith("smollm2-135m-instruct@local: ")
    assert served["personal data, two alternatives"] == "refused 403 self_hosted_required"

    sent = [r["json"] for r in closed.requests if r["path"].endswith("/chat/completions")]
    assert [m["content"] for body in sent for m in body["messages"]] == [
        "Suggest a name for a bakery."
    ]
    assert "jane.doe" not in json.dumps(closed.requests)

    usage = {row["model"]: row for row in table_rows(run.output_of("switchgear usage"))}
    assert usage["gpt-4o-mini"]["requests"] == "1"
    assert usage["smollm2-135m-instruct"]["requests"] == "2"
    print(f"hybrid.py took {run.seconds_of('python hybrid.py'):.2f} s")
