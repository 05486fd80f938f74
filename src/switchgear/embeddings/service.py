"""The provider step of `/v1/embeddings`: a built-in embedder answers in-process; any other name
resolves through the router (models, aliases, routes) to upstream embedding models
(`models[].kind: embedding`), tried in order with the chat path's retries, breaker and
failover (`routing.failover`). The trip has passed auth and guards.in already; the ledger
row names the model that answered (`trip.target`)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from switchgear.embeddings.local import LocalEmbedders, LocalModel
from switchgear.knowledge.embeddings_api import embeddings_body, validated_input
from switchgear.providers.base import DeltaStream, EmbeddingProvider
from switchgear.providers.config import ModelConfig
from switchgear.routing.failover import start_first_healthy
from switchgear.routing.router import Needs, RoutePlan, Router
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
        request: EmbeddingsRequest = trip.request
        local = self.local.find(request.model)
        if local is not None:
            trip.route, trip.target = local.served_as, local.target
            body = await asyncio.to_thread(self._embed_locally, request, local)
        else:
            body = await self._embed_upstream(trip, request)
        usage = body.get("usage")
        prompt_tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
        trip.prompt_tokens = prompt_tokens if isinstance(prompt_tokens, int) else 0
        return body

    def _embed_locally(self, request: EmbeddingsRequest, local: LocalModel) -> dict[str, Any]:
        return embeddings_body(request, self.local.embedder(local), local.served_as)

    async def _embed_upstream(self, trip: Trip, request: EmbeddingsRequest) -> dict[str, Any]:
        guarded = trip.guarded
        needs = Needs(
            prompt_tokens=trip.prompt_estimate,
            personal_data=guarded is not None and guarded.found_personal_data,
            self_hosted_only=guarded is not None and guarded.route_local,
        )
        plan = self.router.select_route(request.model, needs)  # 404 for an unknown name
        trip.route = plan.name
        validated_input(request)  # a bad input is the caller's fault: no upstream is asked
        plan = trip.plan = dataclasses.replace(plan, targets=self._targets(plan, request))
        wire = _wire_body(request)
        answers: dict[str, dict[str, Any]] = {}

        async def ask(target: Target) -> DeltaStream:
            provider: EmbeddingProvider = target.provider  # type: ignore[assignment]
            answers[target.model_id] = await provider.embeddings(target.upstream_model, wire)
            yield Delta(finish_reason="stop")  # the failover's sign that this target answered

        started = await start_first_healthy(
            plan, ask, self.router.health, self.router.resilience, trip.attempts, whole=True
        )
        trip.target = started.target
        body = answers[started.target.model_id]
        body["model"] = started.target.model_id  # the served model, as for a local one
        return body

    def _targets(self, plan: RoutePlan, request: EmbeddingsRequest) -> list[Target]:
        """The plan's embedding models; with `dimensions`, only those that take it."""
        targets = [
            t
            for t in plan.targets
            if t.model_id in self.upstream and hasattr(t.provider, "embeddings")
        ]
        if not targets:
            raise InvalidRequest(
                f"`{request.model}` is not an embedding model: it serves chat and text "
                "completions. Send embeddings to a model with `kind: embedding`, or to a "
                f"built-in one ({', '.join(sorted(self.local.served_names()))}).",
                param="model",
                code="not_an_embedding_model",
            )
        if request.dimensions is None:
            return targets
        sized = [t for t in targets if self.upstream[t.model_id].supports_dimensions]
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
