"""A broken config stops start-up with file, line and field; never a stack trace."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from switchgear.config import EMBEDDED_MODEL_ID, ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "switchgear.yaml"
    path.write_text(text)
    return path


def error_for(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


def test_no_config_means_the_embedded_model_alone() -> None:
    config = load_config(None)
    assert [m.id for m in config.models] == [EMBEDDED_MODEL_ID]
    assert config.models[0].aliases == ["default"]
    assert (config.server.host, config.server.port) == ("127.0.0.1", 8080)


def test_the_shipped_example_config_is_valid() -> None:
    example = Path(__file__).parent.parent / "switchgear.example.yaml"
    config = load_config(example)
    assert config.models[0].id == EMBEDDED_MODEL_ID


def test_wrong_type_names_file_line_and_field(tmp_path: Path) -> None:
    message = error_for(
        tmp_path,
        "server:\n  port: 8080\nmodels:\n  - id: small\n    aliases: [default]\n"
        "    context_window: lots\n",
    )
    assert message.startswith(f"{tmp_path / 'switchgear.yaml'}:6: models[0].context_window:")
    assert "Expected `int`" in message


def test_unknown_field_is_named_with_its_line(tmp_path: Path) -> None:
    message = error_for(tmp_path, "server:\n  host: 127.0.0.1\n  prot: 9000\n")
    assert ":3: server.prot: unknown field" in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = error_for(tmp_path, "server:\n  host: [unclosed\n  port: 1\n")
    assert "switchgear.yaml:" in message
    assert "invalid YAML" in message


def test_duplicate_alias_is_refused(tmp_path: Path) -> None:
    message = error_for(
        tmp_path,
        "models:\n  - id: a\n    aliases: [chat]\n  - id: b\n    aliases: [chat]\n",
    )
    assert ":5: models[1].aliases[0]: `chat` is already used by models[0].aliases[0]" in message


def test_missing_model_file_is_refused(tmp_path: Path) -> None:
    message = error_for(tmp_path, "models:\n  - id: a\n    path: /nowhere/model.gguf\n")
    assert ":3: models[0].path: no GGUF file at `/nowhere/model.gguf`" in message


def test_out_of_range_value(tmp_path: Path) -> None:
    message = error_for(tmp_path, "server:\n  port: 70000\n")
    assert ":2: server.port:" in message


def test_serve_with_a_broken_config_exits_with_the_message_only(tmp_path: Path) -> None:
    path = write(tmp_path, "models:\n  - id: a\n    threads: many\n")
    result = subprocess.run(
        [sys.executable, "-m", "switchgear.cli", "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"{path}:3: models[0].threads:" in result.stderr
    assert "Traceback" not in result.stderr


def test_route_pointing_at_a_route_is_refused(tmp_path: Path) -> None:
    message = error_for(
        tmp_path,
        "routes:\n  a:\n    targets: [b]\n  b:\n    targets: [smollm2-135m-instruct]\n",
    )
    assert ":3: routes.a.targets[0]: `b` is a route" in message


def test_route_with_no_targets_is_refused(tmp_path: Path) -> None:
    message = error_for(tmp_path, "routes:\n  chat:\n    targets: []\n")
    assert ":3: routes.chat.targets: a route needs a target" in message


def test_route_to_an_unknown_model_is_refused(tmp_path: Path) -> None:
    message = error_for(tmp_path, "routes:\n  chat:\n    targets: [gpt-9]\n")
    assert ":3: routes.chat.targets[0]: unknown model `gpt-9`" in message


def test_provider_url_must_be_http(tmp_path: Path) -> None:
    message = error_for(
        tmp_path,
        "providers:\n  oa:\n    kind: openai_compat\n    base_url: ftp://example.org/v1\n",
    )
    assert ":4: providers.oa.base_url: `ftp://example.org/v1` is not an http" in message


def test_provider_field_errors_name_the_provider(tmp_path: Path) -> None:
    message = error_for(
        tmp_path,
        "providers:\n  oa:\n    kind: openai_compat\n    base_url: http://x/v1\n"
        "    timeout_s: soon\n",
    )
    assert ":5: providers.oa.timeout_s:" in message


def test_model_with_an_unknown_provider_is_refused(tmp_path: Path) -> None:
    message = error_for(tmp_path, "models:\n  - id: m\n    provider: openai\n")
    assert ":3: models[0].provider: unknown provider `openai`" in message


def test_a_bad_enum_value_lists_the_allowed_values(tmp_path: Path) -> None:
    message = error_for(tmp_path, "ledger:\n  user: hashed\n")
    assert ":2: ledger.user: Invalid enum value 'hashed'; allowed: drop, hash, raw" in message


def test_a_bad_enum_value_inside_a_route_lists_the_strategies(tmp_path: Path) -> None:
    message = error_for(
        tmp_path,
        "routes:\n  chat:\n    strategy: fastest\n    targets: [smollm2-135m-instruct]\n",
    )
    assert ":3: routes.chat.strategy: Invalid enum value 'fastest'" in message
    for strategy in ("priority", "weighted", "least_latency", "least_busy", "cheapest"):
        assert strategy in message


def test_a_bad_enum_value_in_a_list_lists_the_roles(tmp_path: Path) -> None:
    message = error_for(
        tmp_path,
        "guards:\n  policies:\n    strict:\n      injection:\n        roles: [user, robot]\n",
    )
    assert "guards.policies.strict.injection.roles[1]: Invalid enum value 'robot'" in message
    assert "allowed: developer, function, system, tool, user" in message
