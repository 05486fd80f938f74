"""The built-in embedding models `/v1/embeddings` serves in-process: MiniLM (English, the
knowledge index's default) and multilingual-e5-small. Each is a `Target` too, so the ledger
row of a request it served names it like any other served model (`model@local`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from switchgear.knowledge.config import EmbeddingConfig
from switchgear.knowledge.embedder import Embedder, create_embedder, shared_minilm
from switchgear.providers.base import DeltaStream, Generation
from switchgear.routing.target import Target
from switchgear.schema.errors import InvalidRequest

MINILM = "minilm-l6-v2-int8"
MULTILINGUAL = "multilingual-e5-small-q4"
# The id each built-in answers to at /v1/embeddings (its model name is accepted too).
SERVED_NAMES = {MINILM: "all-minilm-l6-v2", MULTILINGUAL: "multilingual-embed"}
LOCAL_KIND = "local_embedder"
LOCAL_DIMENSIONS = 384  # both built-ins' only size (neither is Matryoshka-trained)


class InProcessEmbedder:
    """The `Provider` behind a built-in embedder's target: it embeds, it does not generate."""

    def send(self, model: str, request: Generation) -> DeltaStream:
        raise InvalidRequest(f"`{model}` is an embedding model: send it to /v1/embeddings.")

    def is_ready(self) -> bool:
        return True

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class LocalModel:
    served_as: str
    model: str  # `knowledge.embedding.model`'s name for it
    target: Target


class LocalEmbedders:
    """Name -> built-in embedder. The one `knowledge.embedding` configures is the knowledge
    index's own copy (one model in memory serves both); the other loads on first use."""

    def __init__(
        self, config: EmbeddingConfig, indexed: Callable[[], Embedder], created: int
    ) -> None:
        self.config = config
        self._indexed = indexed
        self._lock = threading.Lock()
        self._others: dict[str, Embedder] = {}
        self.models: dict[str, LocalModel] = {}
        for target in builtin_targets(config, created):
            local = LocalModel(target.model_id, target.upstream_model, target)
            self.models[local.served_as] = self.models[local.model] = local

    def find(self, name: str) -> LocalModel | None:
        return self.models.get(name)

    def served_names(self) -> set[str]:
        return {local.served_as for local in self.models.values()}

    def embedder(self, local: LocalModel) -> Embedder:
        """Blocking the first time (it loads the model): call it in a thread."""
        if local.model == self.config.model:
            return self._indexed()
        c = self.config
        if local.model == MINILM:  # the same copy the cache and classification routes use
            return shared_minilm(c.batch_size, c.threads)
        with self._lock:
            found = self._others.get(local.model)
            if found is None:
                found = create_embedder(local.model, c.batch_size, c.threads, c.max_tokens)
                self._others[local.model] = found
            return found


def builtin_targets(config: EmbeddingConfig, created: int) -> list[Target]:
    """The built-in embedders as the router's targets: a route may list them (a fallback for
    an upstream embedding model) and the registry's policies apply to them as to any model."""
    provider = InProcessEmbedder()
    return [
        _target(config.served_as if model == config.model else default_name, model, provider,
                created)
        for model, default_name in SERVED_NAMES.items()
    ]  # fmt: skip


def builtin_names(config: EmbeddingConfig) -> set[str]:
    """Every name the built-in embedders answer to (served names and model names)."""
    return {name for t in builtin_targets(config, 0) for name in (t.model_id, *t.aliases)}


def _target(served: str, model: str, provider: InProcessEmbedder, created: int) -> Target:
    return Target(
        model_id=served,
        provider_name="local",
        provider_kind=LOCAL_KIND,
        provider=provider,
        upstream_model=model,
        context_window=512,
        self_hosted=True,
        supports_tools=False,
        supports_json_schema=False,
        input_price_per_mtok=0.0,
        output_price_per_mtok=0.0,
        owned_by="switchgear",
        created=created,
        aliases=(model,),
        licence="MIT" if model == MULTILINGUAL else "Apache-2.0",
        region="local",
    )
