"""The `mcp:` section: a broken one stops start-up naming file, line and field; and the
permission rules it and the keys give (`ToolAccess`), which every stage and listing uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchgear.config import ConfigError, load_config
from switchgear.governance.keys import ANONYMOUS, Identity
from switchgear.mcp.access import ToolAccess, split_name
from switchgear.mcp.config import McpAccessConfig, McpConfig


def error_for(tmp_path: Path, text: str) -> str:
    path = tmp_path / "switchgear.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value).removeprefix(f"{path}:")


def test_a_server_is_a_command_or_a_url(tmp_path: Path) -> None:
    both = "mcp:\n  servers:\n    files:\n      command: node\n      url: http://x/mcp\n"
    neither = "mcp:\n  servers:\n    files: {env: {A: b}}\n"
    message = "give either `command` (a stdio server) or `url` (HTTP), not both"
    assert error_for(tmp_path, both) == f"3: mcp.servers.files: {message}"
    assert error_for(tmp_path, neither) == f"3: mcp.servers.files: {message}"


def test_server_names_cannot_hold_the_separator(tmp_path: Path) -> None:
    text = "mcp:\n  separator: '-'\n  servers:\n    my-files: {command: node}\n"
    assert error_for(tmp_path, text).startswith(
        "4: mcp.servers.my-files: server name `my-files` must be letters, digits"
    )


def test_field_errors_name_the_server(tmp_path: Path) -> None:
    unknown = "mcp:\n  servers:\n    files:\n      url: http://x/mcp\n      header: {a: b}\n"
    assert error_for(tmp_path, unknown) == (
        "5: mcp.servers.files.header: unknown field (check the spelling; see "
        "switchgear.example.yaml)"
    )
    bad_url = "mcp:\n  servers:\n    files: {url: 'ftp://x'}\n"
    assert error_for(tmp_path, bad_url) == (
        "3: mcp.servers.files.url: `ftp://x` is not an http:// or https:// URL"
    )
    misplaced = "mcp:\n  servers:\n    local:\n      command: node\n      headers: {a: b}\n"
    assert error_for(tmp_path, misplaced) == (
        "5: mcp.servers.local.headers: headers are for `url` servers"
    )
    timeout = "mcp:\n  servers:\n    local: {command: node, call_timeout_s: 0}\n"
    assert "mcp.servers.local.call_timeout_s" in error_for(tmp_path, timeout)


def test_a_valid_section_loads(tmp_path: Path) -> None:
    path = tmp_path / "switchgear.yaml"
    path.write_text(
        "mcp:\n"
        "  servers:\n"
        "    everything: {command: npx, args: ['-y', '@modelcontextprotocol/server-everything']}\n"
        "    files: {url: 'https://files.example/mcp', headers_env: {Authorization: FILES_AUTH}}\n"
        "  access: {teams: {support: ['files__*']}}\n"
    )
    mcp = load_config(path).mcp
    assert mcp.servers["everything"].transport == "stdio"
    assert mcp.servers["everything"].is_self_hosted()
    assert not mcp.servers["files"].is_self_hosted()
    assert mcp.access.teams == {"support": ["files__*"]}
    assert load_config(None).mcp.servers == {}  # no section: /mcp is not served


def identity(**fields: object) -> Identity:
    base = {"key_id": "key_1", "name": "k", "team": None, "app": None, "allowed_models": (),
            "guard_policy": None, "tags": (), "limits": {}, "budgets": {}}  # fmt: skip
    return Identity(**{**base, **fields})  # type: ignore[arg-type]


def test_every_rule_that_names_a_caller_must_allow_the_tool() -> None:
    access = ToolAccess(
        McpConfig(
            access=McpAccessConfig(
                default=["everything__echo"],
                teams={"support": ["files__*", "everything__*"]},
                apps={"bot": ["everything__*"]},
            )
        )
    )
    assert access.allows(ANONYMOUS, "everything__echo")
    assert not access.allows(ANONYMOUS, "files__read")  # the default rule
    support = identity(team="support")
    assert access.allows(support, "files__read") and access.allows(support, "everything__add")
    narrowed = identity(team="support", allowed_tools=("files__read",))
    assert access.allows(narrowed, "files__read")
    assert not access.allows(narrowed, "files__write")
    bot = identity(team="support", app="bot")  # team and app: both must allow
    assert access.allows(bot, "everything__add") and not access.allows(bot, "files__read")
    assert access.describe(bot) == "files__*, everything__* and everything__*"
    assert access.allows(identity(is_admin=True, team="support"), "anything__at_all")


def test_served_names_split_at_the_first_separator() -> None:
    assert split_name("everything__get-sum", "__") == ("everything", "get-sum")
    assert split_name("files__read__all", "__") == ("files", "read__all")
    assert split_name("echo", "__") is None
    assert split_name("__echo", "__") is None
