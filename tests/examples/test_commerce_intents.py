"""examples/commerce-intents: its README run as written against a real gateway; the shop's
intents found by nearest label, the held-out accuracy the README reports."""

from __future__ import annotations

import json
from pathlib import Path

from tests.examples.blueprint import EXAMPLES, run_blueprint, table_rows


def test_customer_messages_get_their_intent_and_the_rest_go_to_a_person(
    tmp_path: Path,
) -> None:
    heldout = (EXAMPLES / "commerce-intents" / "heldout.jsonl").read_text().splitlines()
    config = (EXAMPLES / "commerce-intents" / "switchgear.yaml").read_text()
    assert len(heldout) >= 40
    for line in heldout:  # held out: no message is one of the config's examples
        assert json.loads(line)["text"] not in config

    run = run_blueprint("commerce-intents", tmp_path)
    lines = run.output_of("python intents.py").splitlines()
    assert lines[1].startswith('"I\'d like to change where my order is delivered": change_address')
    assert lines[2].startswith("'can you recommend a good film?': human_agent")
    assert lines[2].endswith("-> a person")  # under the threshold: the fallback
    accuracy = next(line for line in lines if line.startswith("held-out accuracy"))
    right, total = accuracy.split(": ")[1].split(" = ")[0].split("/")
    assert total == "46" and int(right) >= 37  # the README reports 39/46 (0.848)
    assert "off-topic sent to a person: " in "\n".join(lines)

    (item,) = json.loads(run.output_of("curl -s", "v1/classifications"))["data"]
    assert item["label"] == "change_address"
    assert sorted(item["scores"]) == sorted(
        ["order_status", "refund", "product_question", "change_address", "human_agent"]
    )
    usage = {row["model"]: row for row in table_rows(run.output_of("switchgear usage"))}
    assert usage["shop-intents"]["requests"] == "3"  # two batches and the curl, one row each
    print(f"intents.py took {run.seconds_of('python intents.py'):.2f} s")
