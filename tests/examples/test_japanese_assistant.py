# ruff: noqa: RUF001 (Japanese prompts use full-width punctuation)
"""examples/japanese-assistant: its README run as written against a real gateway, with a fake
OpenAI-wire upstream standing in for the vLLM-served Japanese model."""

from __future__ import annotations

from pathlib import Path

from tests.examples.blueprint import run_blueprint, table_rows
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake

JAPANESE = [
    "来週の東京出張のためにホテルを予約したいのですが、おすすめはありますか？",
    "日本語で自己紹介をしてください。",
    "返品の手続きを教えてください。",
]


def test_japanese_prompts_go_to_the_japanese_model_and_english_ones_stay_local(
    tmp_path: Path,
) -> None:
    vllm = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(vllm)) as url:
        run = run_blueprint("japanese-assistant", tmp_path, {"127.0.0.1:9111": url[7:]})

    rows = [line.split(" | ") for line in run.output_of("python ask.py").splitlines()]
    assert [row[2:4] for row in rows if row[0] == "assistant"] == [
        ["ja", "elyza-jp-8b@vllm-ja"],
        ["en", "smollm2-135m-instruct@local"],
        ["ja", "elyza-jp-8b@vllm-ja"],
    ]
    desk = [row[2:] for row in rows if row[0] == "japanese-desk"]
    assert desk[0][:2] == ["ja", "elyza-jp-8b@vllm-ja"]
    assert desk[1] == ["refused 400 no_target_for_language"]
    assert desk[2][:2] == ["-", "elyza-jp-8b@vllm-ja"]  # too short to tell: route order

    sent = [r["json"] for r in vllm.requests if r["path"].endswith("/chat/completions")]
    assert {body["model"] for body in sent} == {"elyza/Llama-3-ELYZA-JP-8B"}
    assert [body["messages"][-1]["content"] for body in sent] == [
        *JAPANESE,
        "How do I return an item?",
    ]
    usage = {row["model"]: row for row in table_rows(run.output_of("switchgear usage"))}
    assert usage["elyza-jp-8b"]["requests"] == "4"
    assert usage["smollm2-135m-instruct"]["requests"] == "1"
    print(f"ask.py took {run.seconds_of('python ask.py'):.2f} s")
