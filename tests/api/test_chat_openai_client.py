"""The official `openai` client against a real gateway serving the embedded model."""

from __future__ import annotations

import json

import httpx
from openai import OpenAI

from tests.conftest import wait_for_ledger_row
from tests.gateway_process import GatewayProcess

QUESTION = [{"role": "user", "content": "Name three colours."}]


def test_chat_answers_with_consistent_usage(client: OpenAI, gateway: GatewayProcess) -> None:
    reply = client.chat.completions.create(model="default", messages=QUESTION, max_tokens=12)
    choice = reply.choices[0]
    assert reply.object == "chat.completion"
    assert reply.model == "smollm2-135m-instruct"
    assert choice.message.role == "assistant"
    assert choice.message.content
    assert choice.finish_reason in ("stop", "length")
    usage = reply.usage
    assert usage is not None
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert 1 <= usage.completion_tokens <= 12
    if choice.finish_reason == "length":
        assert usage.completion_tokens == 12
    # The template adds SmolLM2's default system prompt and role markers around the question.
    assert usage.prompt_tokens > 20


def test_prompt_tokens_match_the_model_tokenizer(client: OpenAI) -> None:
    from llama_cpp import Llama

    from switchgear.providers.plugin import embedded_model_path

    llama = Llama(embedded_model_path(), vocab_only=True, verbose=False)
    question = "Count the tokens in this sentence, please."
    templated = (
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
        f"<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n"
    )
    expected = len(llama.tokenize(templated.encode(), add_bos=False, special=True))
    reply = client.chat.completions.create(
        model="default", messages=[{"role": "user", "content": question}], max_tokens=1
    )
    assert reply.usage is not None
    assert reply.usage.prompt_tokens == expected
    assert reply.usage.completion_tokens == 1


def test_streamed_answer_equals_the_non_streamed_one_with_the_same_seed(client: OpenAI) -> None:
    params = dict(model="default", messages=QUESTION, max_tokens=16, temperature=0.7, seed=42)
    whole = client.chat.completions.create(**params)  # type: ignore[call-overload]
    stream = client.chat.completions.create(
        **params, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] in ("stop", "length")
    assert all(f is None for f in finishes[:-1])
    assert text == whole.choices[0].message.content
    # include_usage: a last chunk with no choices and the same usage as the whole answer.
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert whole.usage is not None
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    assert chunks[-1].usage.prompt_tokens == whole.usage.prompt_tokens
    content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert 1 <= len(content_chunks) <= chunks[-1].usage.completion_tokens


def test_sse_framing_is_exactly_openais(gateway: GatewayProcess) -> None:
    body = {"model": "default", "messages": QUESTION, "max_tokens": 3, "stream": True}
    with httpx.stream("POST", f"{gateway.base_url}/v1/chat/completions", json=body) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        raw = r.read().decode()
    events = raw.split("\n\n")
    assert events[-1] == ""
    assert events[-2] == "data: [DONE]"
    for event in events[:-2]:
        assert event.startswith("data: ")
        assert json.loads(event[len("data: ") :])["object"] == "chat.completion.chunk"


def test_stop_sequence_cuts_the_answer(client: OpenAI) -> None:
    greedy = dict(model="default", messages=QUESTION, max_tokens=24, temperature=0)
    full = client.chat.completions.create(**greedy).choices[0].message.content  # type: ignore[call-overload]
    assert full and len(full) > 8
    stop = full[5:8]
    cut = client.chat.completions.create(**greedy, stop=[stop])  # type: ignore[call-overload]
    assert cut.choices[0].finish_reason == "stop"
    assert cut.choices[0].message.content == full[: full.index(stop)]


def test_json_schema_output_parses_and_validates(client: OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string", "maxLength": 20},
            "population": {"type": "integer", "minimum": 0, "maximum": 99999999},
        },
        "required": ["city", "population"],
        "additionalProperties": False,
    }
    reply = client.chat.completions.create(
        model="default",
        messages=[{"role": "user", "content": "Give a city and its population as JSON."}],
        response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": schema}},
        max_tokens=80,
        seed=7,
    )
    assert reply.choices[0].finish_reason == "stop"
    data = json.loads(reply.choices[0].message.content or "")
    assert set(data) == {"city", "population"}
    assert isinstance(data["city"], str) and len(data["city"]) <= 20
    assert isinstance(data["population"], int) and 0 <= data["population"] <= 99999999


def test_json_object_output_parses(client: OpenAI) -> None:
    reply = client.chat.completions.create(
        model="default",
        messages=[{"role": "user", "content": "Reply with a JSON object describing a cat."}],
        response_format={"type": "json_object"},
        max_tokens=120,
        seed=3,
    )
    if reply.choices[0].finish_reason == "stop":
        assert isinstance(json.loads(reply.choices[0].message.content or ""), dict)
    else:  # cut by max_tokens: still a valid JSON prefix starting an object
        assert (reply.choices[0].message.content or "").lstrip().startswith("{")


def test_every_answer_leaves_a_ledger_row(client: OpenAI, gateway: GatewayProcess) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="default", messages=QUESTION, max_tokens=4, user="alice"
    )
    reply = raw.parse()
    request_id = raw.headers["x-request-id"]
    assert reply.id == f"chatcmpl-{request_id}"
    row = wait_for_ledger_row(gateway.db_path, request_id)
    assert row["status"] == "ok"
    assert row["http_status"] == 200
    assert row["model"] == "default"
    assert row["served_model"] == "smollm2-135m-instruct"
    assert row["provider"] == "local"
    # The ledger keeps the caller's `user` as a keyed hash: stable per user, not the name.
    assert row["user"].startswith("u-") and "alice" not in row["user"]
    assert reply.usage is not None
    assert row["prompt_tokens"] == reply.usage.prompt_tokens
    assert row["completion_tokens"] == reply.usage.completion_tokens
    assert row["latency_ms"] >= row["ttft_ms"] > 0
