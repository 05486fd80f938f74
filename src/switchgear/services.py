"""The provider step of the kinds that are answered whole rather than generated: embeddings
and search (the knowledge index), classifications (classify/), moderations (a moderation
backend), model listings (the route table). Each takes a trip that has passed its stages and
returns the response body."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from switchgear.catalog import Catalog
from switchgear.classify.service import Classifier, RunTrip
from switchgear.embeddings.local import LocalEmbedders
from switchgear.embeddings.service import EmbeddingService
from switchgear.governance.governor import Forbidden
from switchgear.guards import Guards
from switchgear.knowledge import RouteKnowledge
from switchgear.knowledge.embedder import minilm_for
from switchgear.routing.router import Router
from switchgear.schema.anthropic import CountTokensRequest
from switchgear.schema.errors import InvalidRequest
from switchgear.schema.kinds import ModelsRequest, SearchRequest
from switchgear.schema.requests import ChatCompletionRequest
from switchgear.stages.knowledge import reader_of
from switchgear.trip import Trip

if TYPE_CHECKING:
    from switchgear.knowledge.embedder import Embedder
    from switchgear.knowledge.service import Knowledge
    from switchgear.pipeline import Service


# Per message: its role and the template's separators, as chat templates spend them.
_TOKENS_PER_MESSAGE = 4


def estimate_chat_tokens(chat: ChatCompletionRequest) -> int:
    """About four characters a token, the rule of thumb for English on BPE vocabularies."""
    characters = sum(len(text) for text in chat.texts())
    return characters // 4 + _TOKENS_PER_MESSAGE * len(chat.messages) + 1


class KindServices:
    def __init__(
        self,
        knowledge: Callable[[], Knowledge],
        bindings: dict[str, RouteKnowledge],
        guards: Guards,
        router: Router,
        catalog: Catalog,
        run: RunTrip | None = None,
    ) -> None:
        """`run`: a request through the whole pipeline, for the calls a kind makes on its
        caller's behalf (a `classify: {method: generate}` route asks its model)."""
        self.knowledge = knowledge
        self.bindings = bindings
        self.guards = guards
        self.router = router
        self.catalog = catalog
        local = LocalEmbedders(catalog.embedding, self._embedder, catalog.created)
        self.embedding = EmbeddingService(router, catalog.embedding_models, local)
        e = catalog.embedding
        labels = minilm_for(
            e.model, self._embedder, e.batch_size, e.threads
        )  # its thresholds' model
        self.classifier = Classifier(
            router.routes, lambda name: name in router.names(), labels, run
        )

    def table(self) -> dict[str, Service]:
        return {
            "embeddings": self.embeddings,
            "search": self.search,
            "classifications": self.classifier.classify,
            "moderations": self.moderations,
            "models": self.models,
            "messages.count_tokens": self.count_tokens,
        }

    async def count_tokens(self, trip: Trip) -> dict[str, Any]:
        """The prompt's size in tokens with the tokenizer of the target it would go to first,
        where the gateway has it (the embedded engine); an estimate for a remote model. Nothing
        is sent anywhere."""
        request: CountTokensRequest = trip.request
        assert trip.admission is not None
        target = self.router.first_target(request.model, trip.admission.identity.may_use)
        chat = request.to_chat()
        counter = getattr(target.provider, "count_chat_tokens", None)
        if counter is not None:
            tokens = int(await asyncio.to_thread(counter, target.upstream_model, chat))
        else:
            tokens = estimate_chat_tokens(chat)
        return {"input_tokens": tokens}

    async def embeddings(self, trip: Trip) -> dict[str, Any]:
        """A built-in embedder, or upstream embedding models through the router."""
        return await self.embedding.serve(trip)

    def _embedder(self) -> Embedder:
        """The knowledge index's embedder: one copy of the model serves every kind."""
        return self.knowledge().embedder

    async def search(self, trip: Trip) -> dict[str, Any]:
        """Retrieval only, filtered by the caller's identity like a chat route; ledgered (who
        searched which collection), never the query text."""
        request: SearchRequest = trip.request
        assert trip.admission is not None
        identity = trip.admission.identity
        trip.route = "knowledge"
        bound = None
        if request.model is not None:
            if not identity.may_use(request.model):
                raise Forbidden(
                    f"This key may not use `{request.model}`.", code="model_not_allowed"
                )
            bound = self.bindings.get(request.model)
            if bound is None:
                raise InvalidRequest(
                    f"`{request.model}` is not bound to a knowledge collection.", param="model"
                )
        reader = reader_of(identity)
        return await asyncio.to_thread(
            lambda: self.knowledge().search_response(request, reader, bound)
        )

    async def moderations(self, trip: Trip) -> dict[str, Any]:
        body = await self.guards.moderations(msgspec.structs.asdict(trip.request))
        # A request that names no model is answered by the backend's: the ledger says which.
        trip.model = trip.model or str(body.get("model") or "")
        return body

    async def models(self, trip: Trip) -> dict[str, Any]:
        """Every name the caller may send as `model` (models, aliases, routes, the embedding
        and moderation models), or one of them (a name it may not use does not exist, as far
        as it can tell)."""
        request: ModelsRequest = trip.request
        assert trip.admission is not None
        may_use = trip.admission.identity.may_use
        if request.model is not None:
            return self.catalog.one(request.model, may_use)
        return {"object": "list", "data": self.catalog.listing(may_use)}
