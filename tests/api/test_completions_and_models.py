"""Text completions and the models list through the official client."""

from __future__ import annotations

import httpx
import openai
import pytest
from openai import OpenAI

from tests.gateway_process import GatewayProcess


def test_text_completion(client: OpenAI) -> None:
    reply = client.completions.create(model="default", prompt="Once upon a time", max_tokens=8)
    assert reply.object == "text_completion"
    assert reply.choices[0].text
    assert reply.usage is not None
    assert reply.usage.completion_tokens <= 8
    assert reply.usage.prompt_tokens == 4  # "Once", " upon", " a", " time"; no BOS for SmolLM2


def test_text_completion_with_several_prompts_and_echo(client: OpenAI) -> None:
    prompts = ["The sky is", "Water is"]
    reply = client.completions.create(model="default", prompt=prompts, max_tokens=4, echo=True)
    assert [c.index for c in reply.choices] == [0, 1]
    for choice, prompt in zip(reply.choices, prompts, strict=True):
        assert choice.text.startswith(prompt)
        assert len(choice.text) > len(prompt)


def test_streamed_text_completion_with_usage(client: OpenAI) -> None:
    stream = client.completions.create(
        model="default",
        prompt="1, 2, 3,",
        max_tokens=6,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert text
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens <= 6
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")


def test_suffix_is_refused_for_a_model_without_fill_in_the_middle(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model="default", prompt="def f(", suffix="return x", max_tokens=4)
    assert caught.value.body["param"] == "suffix"  # type: ignore[index]


def test_models_list_and_retrieve(client: OpenAI) -> None:
    models = {m.id: m.model_dump() for m in client.models.list().data}
    assert models["smollm2-135m-instruct"]["kind"] == "model"
    assert models["default"]["kind"] == "alias"
    assert models["default"]["alias_of"] == "smollm2-135m-instruct"
    assert models["all-minilm-l6-v2"]["kind"] == "embedding"
    assert models["all-minilm-l6-v2"]["dimensions"] == 384
    assert models["local"]["kind"] == "moderation"
    model = client.models.retrieve("smollm2-135m-instruct")
    assert model.owned_by == "switchgear"
    assert client.models.retrieve("default").id == "smollm2-135m-instruct"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-9")


def test_health_readiness_and_metrics(client: OpenAI, gateway: GatewayProcess) -> None:
    client.chat.completions.create(
        model="default", messages=[{"role": "user", "content": "hi"}], max_tokens=2
    )
    assert httpx.get(f"{gateway.base_url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{gateway.base_url}/readyz").json()
    assert ready == {"status": "ready", "models": {"smollm2-135m-instruct": True}}
    metrics = httpx.get(f"{gateway.base_url}/metrics").text
    assert (
        'switchgear_requests_total{door="chat.completions",model="smollm2-135m-instruct",'
        'route="default",status="ok"}'
    ) in metrics
    assert "switchgear_request_duration_seconds_bucket" in metrics
    assert "switchgear_time_to_first_token_seconds_count" in metrics
    assert 'switchgear_tokens_total{kind="completion",model="smollm2-135m-instruct"}' in metrics
