"""The built-in stages, registered through the same hook a third-party plugin uses. Each
stage module is imported only when a gateway is built (loading the registry stays light)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from switchgear.plugins import StageKind, hookimpl

_BUILT_IN = [
    ("auth", "switchgear.stages.auth", "build"),
    ("template", "switchgear.stages.template", "build"),
    ("knowledge", "switchgear.stages.knowledge", "build"),
    ("guards.in", "switchgear.stages.guards", "build_in"),
    ("route", "switchgear.stages.route", "build"),
    ("cache", "switchgear.stages.cache", "build"),
    ("guards.out", "switchgear.stages.guards", "build_out"),
    ("ledger", "switchgear.stages.ledger", "build"),
]


_OPTIONAL = {"cache"}


def _lazy(module: str, function: str) -> Callable[[Any], Any]:
    def build(context: Any) -> Any:
        return getattr(importlib.import_module(module), function)(context)

    return build


@hookimpl
def register_stages(register: Callable[[StageKind], None]) -> None:
    for name, module, function in _BUILT_IN:
        # The cache may be left out of a hand-written stage list (it only serves routes that
        # ask for it); every other built-in is required.
        required = name not in _OPTIONAL
        register(StageKind(name, _lazy(module, function), required=required))
