"""Plugins: providers, moderation backends, PII recognisers and pipeline stages, found by name.

A plugin is a module with `@hookimpl` functions (see `hookspecs`), announced by a package
through the `switchgear.plugins` entry point group. The built-ins are plugins too: they
register through the same hooks, so nothing a third party adds takes a different path.
"""

from switchgear.plugins.hookspecs import hookimpl
from switchgear.plugins.registry import (
    ModerationKind,
    PiiRecognizer,
    ProviderKind,
    ProviderSetup,
    Registry,
    StageKind,
    registry,
)

__all__ = [
    "ModerationKind",
    "PiiRecognizer",
    "ProviderKind",
    "ProviderSetup",
    "Registry",
    "StageKind",
    "hookimpl",
    "registry",
]
