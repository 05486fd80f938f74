"""The hooks a plugin may implement. Each receives a `register` function and calls it once per
thing it adds; `registry.Registry` documents what each thing is."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from collections.abc import Callable

    from switchgear.plugins.registry import ModerationKind, PiiRecognizer, ProviderKind, StageKind

PROJECT = "switchgear"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_providers(register: Callable[[ProviderKind], None]) -> None:
    """Provider kinds: `kind:` under `providers:` (or `provider:` of a model, for engines that
    run one model in-process, like `local`)."""


@hookspec
def register_moderation_backends(register: Callable[[ModerationKind], None]) -> None:
    """Moderation backend kinds: `kind:` under `guards.moderation_backends`."""


@hookspec
def register_pii_recognizers(register: Callable[[PiiRecognizer], None]) -> None:
    """Exact recognisers of personal data; their entity types become usable in policies."""


@hookspec
def register_stages(register: Callable[[StageKind], None]) -> None:
    """Pipeline stages, placed by name in `pipeline.stages`."""
