"""Every name a client may send as `model`, with what it is: `/v1/models` for model pickers.

OpenAI's model object has `id`, `object`, `created` and `owned_by`; pickers (Open WebUI,
`llm`, IDE plug-ins) list the ids. Each entry also says its `kind` (`model`, `alias`,
`route`, `embedding`, `moderation`), so a picker can offer routes and aliases next to models
and keep embedding models out of a chat menu."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from switchgear.config import Config
from switchgear.embeddings.local import LOCAL_KIND
from switchgear.knowledge.config import EmbeddingConfig
from switchgear.providers.config import ModelConfig
from switchgear.routing.router import Router, visible
from switchgear.routing.target import Target

MayUse = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class ExtraModel:
    """A model the gateway serves outside the router: the embedder, a moderation backend."""

    id: str
    kind: str
    details: dict[str, Any]


def model_object(target: Target) -> dict[str, Any]:
    return {
        "id": target.model_id,
        "object": "model",
        "created": target.created,
        "owned_by": target.owned_by,
        "kind": "model",
        "context_window": target.context_window,
        "aliases": list(target.aliases),
        "self_hosted": target.self_hosted,
    }


class Catalog:
    def __init__(
        self,
        router: Router,
        extras: list[ExtraModel],
        knowledge_routes: dict[str, str],
        created: int,
        embedding_models: dict[str, ModelConfig] | None = None,
        embedding: EmbeddingConfig | None = None,
    ) -> None:
        """`embedding_models`: the upstream ones (`models[].kind: embedding`), by id;
        `embedding`: the built-in embedder the knowledge index uses."""
        self.router = router
        self.extras = {extra.id: extra for extra in extras}
        self.knowledge_routes = knowledge_routes  # route -> collection
        self.created = created
        self.embedding_models = embedding_models or {}
        self.embedding = embedding or EmbeddingConfig()

    def _model(self, target: Target) -> dict[str, Any]:
        entry = model_object(target)
        embedding = self.embedding_models.get(target.model_id)
        if embedding is not None:  # kept out of a chat picker, like the built-in embedders
            entry["kind"] = "embedding"
            entry["supports_dimensions"] = embedding.supports_dimensions
        return entry

    def listing(self, may_use: MayUse) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for target in self.router.targets:
            if target.provider_kind == LOCAL_KIND:
                continue  # a built-in embedder: listed with its details among the extras
            if visible(target, may_use):
                entries.append(self._model(target))
                entries += [
                    self._alias(alias, target)
                    for alias in target.aliases
                    if may_use(alias) or may_use(target.model_id)
                ]
        entries += [self._route(name) for name in self.router.routes if may_use(name)]
        entries += [self._extra(extra) for extra in self.extras.values() if may_use(extra.id)]
        return entries

    def one(self, name: str, may_use: MayUse) -> dict[str, Any]:
        """The entry for `name`; an alias answers as the model it names (as OpenAI's API does
        for its own aliases). Unknown or forbidden names raise the router's 404."""
        if name in self.router.routes and may_use(name):
            return self._route(name)
        extra = self.extras.get(name)
        if extra is not None and may_use(name):
            return self._extra(extra)
        return self._model(self.router.find_model(name, may_use))

    def _alias(self, alias: str, target: Target) -> dict[str, Any]:
        return {
            "id": alias,
            "object": "model",
            "created": target.created,
            "owned_by": target.owned_by,
            "kind": "alias",
            "alias_of": target.model_id,
        }

    def _route(self, name: str) -> dict[str, Any]:
        route = self.router.routes[name]
        entry: dict[str, Any] = {
            "id": name,
            "object": "model",
            "created": self.created,
            "owned_by": "switchgear",
            "kind": "route",
            "strategy": route.strategy,
            "targets": [t.model for t in route.target_list()],
        }
        collection = self.knowledge_routes.get(name)
        if collection is not None:
            entry["knowledge"] = collection
        return entry

    def _extra(self, extra: ExtraModel) -> dict[str, Any]:
        return {
            "id": extra.id,
            "object": "model",
            "created": self.created,
            "owned_by": "switchgear",
            "kind": extra.kind,
            **extra.details,
        }


def build_catalog(config: Config, router: Router, created: int) -> Catalog:
    from switchgear.embeddings.local import MULTILINGUAL, SERVED_NAMES

    embedding = config.knowledge.embedding
    # Both built-in embedders answer at /v1/embeddings; E5 reads 512 tokens whatever
    # `max_tokens` says (that setting is MiniLM's).
    extras = [
        ExtraModel(
            embedding.served_as if model == embedding.model else served,
            "embedding",
            {
                "dimensions": 384,
                "max_input_tokens": 512 if model == MULTILINGUAL else embedding.max_tokens,
                "multilingual": model == MULTILINGUAL,
            },
        )
        for model, served in SERVED_NAMES.items()
    ]
    extras += [
        ExtraModel(name, "moderation", {"backend": backend.kind})
        for name, backend in config.guards.backends().items()
    ]
    bound = {name: r.knowledge.collection for name, r in config.routes.items() if r.knowledge}
    upstream = {m.id: m for m in config.models if m.kind == "embedding"}
    return Catalog(router, extras, bound, created, upstream, embedding)
