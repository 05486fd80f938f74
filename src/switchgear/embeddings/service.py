"""The provider step of `/v1/embeddings`. The route stage has resolved the name (models,
aliases, routes) to targets under the registry's policies; a built-in embedder answers
in-process, an upstream embedding model (`models[].kind: embedding`) over its wire, tried in
order with the chat path's retries, breaker and failover (`routing.failover`), so a route may
fall back from one to the other. The ledger row names the model that answered."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from switchgear.embeddings.local import LOCAL_DIMENSIONS, LocalEmbedders, LocalModel
from switchgear.knowledge.embeddings_api import embeddings_body, validated_input
from switchgear.providers.base import DeltaStream, EmbeddingProvider
from switchgear.providers.config import ModelConfig
from switchgear.routing.failover import start_first_healthy
from switchgear.routing.router import RoutePlan, Router
from switchgear.routing.target import Target
from switchgear.schema.errors import InvalidRequest
from switchgear.schema.generation import Delta
from switchgear.schema.kinds import EmbeddingsRequest
from switchgear.trip import Trip


class EmbeddingService:
    def __init__(
        self, router: Router, upstream: dict[str, ModelConfig], local: LocalEmbedders
    ) -> None:
        """`upstream`: the configured embedding models, by id."""
        self.router = router
        self.upstream = upstream
        self.local = local

    async def serve(self, trip: Trip) -> dict[str, Any]:
        """The route stage planned the targets (its policies applied); the first healthy
        one that embeds answers, with the chat path's retries, breaker and failover."""
        request: EmbeddingsRequest = trip.request
        assert trip.plan is not None, "the route stage plans every embeddings request"
        validated_input(request)  # a bad input is the caller's fault: no target is asked
        plan = trip.plan = dataclasses.replace(trip.plan, targets=self._targets(trip.plan, request))
        wire = _wire_body(request)
        answers: dict[str, dict[str, Any]] = {}

        async def ask(target: Target) -> DeltaStream:
            local = self.local.find(target.model_id)
            if local is not None:
                body = await asyncio.to_thread(self._embed_locally, request, local)
            else:
                provider: EmbeddingProvider = target.provider  # type: ignore[assignment]
                body = await provider.embeddings(target.upstream_model, wire)
                body["model"] = target.model_id  # the served model, as for a local one
            answers[target.model_id] = body
            yield Delta(finish_reason="stop")  # the failover's sign that this target answered

        started = await start_first_healthy(
            plan, ask, self.router.health, self.router.resilience, trip.attempts, whole=True
        )
        trip.target = started.target
        body = answers[started.target.model_id]
        usage = body.get("usage")
        prompt_tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
        trip.prompt_tokens = prompt_tokens if isinstance(prompt_tokens, int) else 0
        return body

    def _embed_locally(self, request: EmbeddingsRequest, local: LocalModel) -> dict[str, Any]:
        return embeddings_body(request, self.local.embedder(local), local.served_as)

    def _embeds(self, target: Target) -> bool:
        local = self.local.find(target.model_id) is not None
        return local or (
            target.model_id in self.upstream and hasattr(target.provider, "embeddings")
        )

    def _sized(self, target: Target, dimensions: int) -> bool:
        """Whether `target` answers with `dimensions` (a built-in: its own size only)."""
        if self.local.find(target.model_id) is not None:
            return dimensions == LOCAL_DIMENSIONS
        return self.upstream[target.model_id].supports_dimensions

    def _targets(self, plan: RoutePlan, request: EmbeddingsRequest) -> list[Target]:
        """The plan's embedding models; with `dimensions`, only those that take it."""
        targets = [t for t in plan.targets if self._embeds(t)]
        if not targets:
            raise InvalidRequest(
                f"`{request.model}` is not an embedding model: it serves chat and text "
                "completions. Send embeddings to a model with `kind: embedding`, or to a "
                f"built-in one ({', '.join(sorted(self.local.served_names()))}).",
                param="model",
                code="not_an_embedding_model",
            )
        only_builtin = len(targets) == 1 and self.local.find(targets[0].model_id) is not None
        if request.dimensions is None or only_builtin:
            return targets  # one built-in: its own message says which sizes it has
        sized = [t for t in targets if self._sized(t, request.dimensions)]
        if not sized:
            raise InvalidRequest(
                f"`dimensions` is not supported by `{request.model}` (its models do not say "
                "`supports_dimensions: true`); leave `dimensions` out.",
                param="dimensions",
                code="unsupported_parameter",
            )
        return sized


def _wire_body(request: EmbeddingsRequest) -> dict[str, Any]:
    """OpenAI's request body as the client sent it (token ids as they are), less `model`."""
    body: dict[str, Any] = {"input": request.input, "encoding_format": request.encoding_format}
    if request.dimensions is not None:
        body["dimensions"] = request.dimensions
    if request.user is not None:
        body["user"] = request.user  # hashed by the guards where the policy says so
    return body
