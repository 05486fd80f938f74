"""A route picks a target that can return logprobs and several choices when the request asks
for them: OpenAI-compatible upstreams can, Anthropic's Messages API and the embedded model
cannot, and a route with no capable target says what to change."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from switchgear.config import Config
from switchgear.gateway import Gateway
from switchgear.routing.router import Needs
from switchgear.schema.errors import InvalidRequest


def gateway(tmp_path: Path) -> Gateway:
    config = msgspec.convert(
        {
            "data_dir": str(tmp_path),
            "providers": {
                "api": {"kind": "openai_compat", "base_url": "http://openai.invalid"},
                "claude": {"kind": "anthropic", "base_url": "http://anthropic.invalid"},
            },
            "models": [
                {"id": "smollm2-135m-instruct"},
                {"id": "gpt", "provider": "api"},
                {"id": "sonnet", "provider": "claude"},
            ],
            "routes": {
                "mixed": {"targets": ["sonnet", "smollm2-135m-instruct", "gpt"]},
                "no-openai": {"targets": ["sonnet", "smollm2-135m-instruct"]},
            },
        },
        Config,
    )
    return Gateway(config)


@pytest.mark.parametrize("needs", [Needs(logprobs=True), Needs(n=2)])
def test_the_route_skips_targets_that_cannot_answer(tmp_path: Path, needs: Needs) -> None:
    router = gateway(tmp_path).router

    assert [t.model_id for t in router.select_route("mixed", needs).targets] == ["gpt"]
    every = router.select_route("mixed", Needs()).targets
    assert [t.model_id for t in every] == ["sonnet", "smollm2-135m-instruct", "gpt"]


@pytest.mark.parametrize(
    ("needs", "param", "setting"),
    [(Needs(logprobs=True), "logprobs", "supports_logprobs"), (Needs(n=3), "n", "supports_n")],
)
def test_a_route_without_a_capable_target_says_what_to_do(
    tmp_path: Path, needs: Needs, param: str, setting: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        gateway(tmp_path).router.select_route("no-openai", needs)

    assert (refused.value.param, refused.value.code) == (param, "unsupported_parameter")
    assert f"`{setting}: true`" in refused.value.message
    assert "OpenAI-compatible" in refused.value.message
