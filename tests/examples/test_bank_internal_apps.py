"""examples/bank-internal-apps: its README run as written against a real gateway, with a fake
OpenAI-wire server standing in for the bank's vLLM."""

from __future__ import annotations

import json
from pathlib import Path

from tests.examples.blueprint import run_blueprint, table_rows
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake

LLAMA = "meta-llama/Llama-2-13b-chat-hf"


def test_teams_get_their_models_limits_and_a_verified_audit_log(tmp_path: Path) -> None:
    vllm = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(vllm, models=[LLAMA])) as url:
        run = run_blueprint("bank-internal-apps", tmp_path, {"127.0.0.1:9102": url[7:]})

    registry = run.output_of("switchgear models --licences")
    llama = next(line for line in registry.splitlines() if line.startswith("llama-2-13b-chat"))
    assert "self-hosted" in llama and "Llama-2-Community" in llama
    assert "700M monthly-active-user threshold; Acceptable Use Policy" in llama

    risk = json.loads((run.folder / "risk.key.json").read_text())
    assert (risk["team"], risk["app"]) == ("risk", "credit-memo")
    assert risk["key"].startswith("sg-")

    apps = run.output_of("python bank_apps.py").splitlines()
    assert apps[0].startswith("risk/credit-memo -> llama-2-13b-chat: served by llama-2-13b-chat")
    assert "fake-openai says: Summarise the credit risk" in apps[0]
    assert "403 policy_violation" in apps[1] and "no-llama-2-for-customer-facing-teams" in apps[1]
    assert apps[2].startswith("retail-banking/branch-assistant -> default: served by smollm2")
    assert apps[3].startswith("data-science/sandbox: models request 1: ")
    assert apps[4].startswith("data-science/sandbox: models request 2: ")
    assert "models listed" in apps[3] and "models listed" in apps[4]
    assert apps[5].startswith("data-science/sandbox: models request 3: 429 (")
    # Only the cleared team's request reached the Llama 2 server, under vLLM's model name.
    chats = [r["json"] for r in vllm.requests if r["path"].endswith("/chat/completions")]
    assert [c["model"] for c in chats] == [LLAMA]

    usage = {(r["team"], r["model"]): r for r in table_rows(run.output_of("switchgear usage"))}
    assert usage[("risk", "llama-2-13b-chat")]["requests"] == "1"
    assert float(usage[("risk", "llama-2-13b-chat")]["cost"]) > 0  # the chargeback rate
    assert usage[("retail-banking", "llama-2-13b-chat")]["errors"] == "1"
    assert usage[("retail-banking", "smollm2-135m-instruct")]["errors"] == "0"
    assert "hash chain verified" in run.output_of("switchgear audit verify")
    print(f"bank_apps.py took {run.seconds_of('python bank_apps.py'):.2f} s")
