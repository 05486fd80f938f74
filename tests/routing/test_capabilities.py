"""Routes pick only targets that can do what a request needs: the embedded model calls tools
(through its grammar), and a route with no capable target says what to change."""

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
            "providers": {"api": {"kind": "openai_compat", "base_url": "http://mock.invalid"}},
            "models": [
                {"id": "smollm2-135m-instruct", "aliases": ["default"]},
                {"id": "plain", "provider": "api", "supports_tools": False},
            ],
            "routes": {
                "agents": {"targets": ["plain", "smollm2-135m-instruct"]},
                "no-tools": {"targets": ["plain"]},
            },
        },
        Config,
    )
    return Gateway(config)


def test_the_embedded_model_is_a_target_for_tool_requests(tmp_path: Path) -> None:
    plan = gateway(tmp_path).router.select_route("agents", Needs(tools=True))
    assert [t.model_id for t in plan.targets] == ["smollm2-135m-instruct"]


def test_a_route_without_a_capable_target_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest) as refused:
        gateway(tmp_path).router.select_route("no-tools", Needs(tools=True))
    message = refused.value.message
    assert refused.value.param == "tools"
    assert "supports_tools: true" in message and "response_format" in message
