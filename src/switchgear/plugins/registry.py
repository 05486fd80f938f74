"""One registry of everything found by name, filled from the built-in plugins and from every
installed package's `switchgear.plugins` entry points (loaded once, on first use)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

import pluggy

from switchgear.plugins import hookspecs

if TYPE_CHECKING:
    from switchgear.guards.entities import Span
    from switchgear.guards.moderation.base import Moderator
    from switchgear.providers.base import Provider
    from switchgear.providers.config import ModelConfig, ProviderConfig

ENTRY_POINTS = "switchgear.plugins"
# Loaded in this order before any entry point; a third party's plugin goes through the same
# hooks (simonw/llm's DEFAULT_PLUGINS).
BUILTIN_PLUGINS = (
    "switchgear.providers.plugin",
    "switchgear.guards.plugin",
    "switchgear.stages.plugin",
)


@dataclass(frozen=True, slots=True)
class ProviderSetup:
    """What a provider factory gets: the `providers:` entry (`name`, `settings`), or, for a
    per-model engine, the model it serves (`name` is the model id)."""

    name: str
    settings: ProviderConfig | None = None
    model: ModelConfig | None = None


@dataclass(frozen=True, slots=True)
class ProviderKind:
    kind: str
    build: Callable[[ProviderSetup], Provider]
    # True: models name this kind directly (`provider: local`), one provider per model.
    per_model: bool = False
    # Whether data sent to it stays in house unless the provider entry says otherwise.
    self_hosted: bool = False


@dataclass(frozen=True, slots=True)
class ModerationKind:
    kind: str
    # (backend name, its config, a judge: prompt -> answer text of the backend's route)
    build: Callable[[str, Any, Callable[[str], Any] | None], Moderator]


@dataclass(frozen=True, slots=True)
class PiiRecognizer:
    """An exact recogniser. `find(text)` yields spans of `entity_types` in normalised text.
    `scope="digits"` runs it only near runs of digits (most identifiers have some), which is
    what keeps a scan of a long prose prompt cheap."""

    name: str
    entity_types: tuple[str, ...]
    find: Callable[[str], Iterator[Span]]
    scope: Literal["text", "digits"] = "text"


@dataclass(frozen=True, slots=True)
class StageKind:
    name: str
    # (the gateway's parts, see `stages.context.StageContext`) -> a stage
    build: Callable[[Any], Any]
    # Built-in stages every pipeline must hold, in this relative order.
    required: bool = False


@dataclass(slots=True)
class Registry:
    providers: dict[str, ProviderKind] = field(default_factory=dict)
    moderation: dict[str, ModerationKind] = field(default_factory=dict)
    recognizers: list[PiiRecognizer] = field(default_factory=list)
    stages: dict[str, StageKind] = field(default_factory=dict)
    plugins: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, extra: Iterable[ModuleType | object] = (), entry_points: bool = True) -> Registry:
        manager = pluggy.PluginManager(hookspecs.PROJECT)
        manager.add_hookspecs(hookspecs)
        import importlib

        for name in BUILTIN_PLUGINS:
            manager.register(importlib.import_module(name), name=name)
        if entry_points:
            manager.load_setuptools_entrypoints(ENTRY_POINTS)
        for plugin in extra:
            manager.register(plugin)
        found = cls(plugins=[manager.get_name(p) or repr(p) for p in manager.get_plugins()])
        manager.hook.register_providers(register=found._add_provider)
        manager.hook.register_moderation_backends(register=found._add_moderation)
        manager.hook.register_pii_recognizers(register=found.recognizers.append)
        manager.hook.register_stages(register=found._add_stage)
        return found

    def _add_provider(self, kind: ProviderKind) -> None:
        _unique(kind.kind, self.providers, "provider kind")
        self.providers[kind.kind] = kind

    def _add_moderation(self, kind: ModerationKind) -> None:
        _unique(kind.kind, self.moderation, "moderation backend kind")
        self.moderation[kind.kind] = kind

    def _add_stage(self, kind: StageKind) -> None:
        _unique(kind.name, self.stages, "stage")
        self.stages[kind.name] = kind

    def provider(self, kind: str) -> ProviderKind:
        found = self.providers.get(kind)
        if found is None:
            raise KeyError(f"unknown provider kind `{kind}` (known: {_names(self.providers)})")
        return found

    def remote_provider_kinds(self) -> list[str]:
        return sorted(k for k, v in self.providers.items() if not v.per_model)

    def per_model_provider_kinds(self) -> list[str]:
        return sorted(k for k, v in self.providers.items() if v.per_model)

    def entity_types(self) -> tuple[str, ...]:
        """Every entity type a policy may name: the recognisers' and the name/address model's."""
        from switchgear.guards.entities import MODEL_TYPES

        seen: dict[str, None] = {}
        for recognizer in self.recognizers:
            seen.update(dict.fromkeys(recognizer.entity_types))
        seen.update(dict.fromkeys(sorted(MODEL_TYPES)))
        return tuple(seen)


def _unique(name: str, table: dict[str, Any], what: str) -> None:
    if name in table:
        raise ValueError(f"two plugins register the {what} `{name}`")


def _names(table: dict[str, Any]) -> str:
    return ", ".join(sorted(table))


_loaded: Registry | None = None
_lock = threading.Lock()


def registry() -> Registry:
    """The process's registry: built-ins plus installed plugins, loaded on first use."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = Registry.load()
        return _loaded
