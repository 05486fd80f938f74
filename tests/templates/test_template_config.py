"""What a broken `templates:` section or a route naming a missing template says at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchgear.config import ConfigError, load_config


def load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "switchgear.yaml"
    path.write_text(text)
    load_config(path)


def test_a_variable_the_text_uses_but_does_not_declare(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, 'templates:\n  bot:\n    system: "You are {{ name }}."\n')
    assert "switchgear.yaml:3: templates.bot.system: uses `name`" in str(raised.value)


def test_text_that_is_not_a_template(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, 'templates:\n  bot:\n    system: "You are {% if %}."\n')
    assert "templates.bot.system: not a valid template" in str(raised.value)


def test_a_route_naming_an_unknown_template(tmp_path: Path) -> None:
    text = """
templates:
  bot: {system: "Be kind."}
routes:
  chat: {targets: [default], template: bott}
"""
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, text)
    assert ":5: routes.chat.template: unknown template `bott` (bot)" in str(raised.value)
