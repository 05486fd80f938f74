"""route: which targets may serve this request, in what order (the provider step that follows
is the pipeline's own). What the request needs comes from its kind; what the caller may use
comes from the registry's policies."""

from __future__ import annotations

import asyncio
import dataclasses

from switchgear.governance.governor import Governor
from switchgear.governance.registry import first_violation, refusal
from switchgear.providers.config import ModelConfig
from switchgear.routing.language import DETECTOR, LanguageDetector, prompt_text
from switchgear.routing.router import Needs, Router
from switchgear.routing.target import Target
from switchgear.schema.errors import GatewayError
from switchgear.schema.kinds import GENERATION_KINDS, InternalCall
from switchgear.schema.requests import (
    ChatCompletionRequest,
    CompletionRequest,
    ResponseFormatJsonSchema,
)
from switchgear.stages.base import StageBase
from switchgear.stages.context import StageContext
from switchgear.trip import Trip


def needs_of(trip: Trip, language: str | None = None) -> Needs:
    request = trip.request
    chat = request.chat if isinstance(request, InternalCall) else request
    guarded = trip.guarded
    tools = json_schema = logprobs = False
    choices = 1
    if isinstance(chat, ChatCompletionRequest):
        tools = bool(chat.tools or chat.functions)
        json_schema = isinstance(chat.response_format, ResponseFormatJsonSchema)
        logprobs = bool(chat.logprobs or chat.top_logprobs)
        choices = chat.n or 1
    elif isinstance(chat, CompletionRequest):
        logprobs = chat.logprobs is not None
        choices = chat.n or 1
    return Needs(
        tools=tools,
        json_schema=json_schema,
        logprobs=logprobs,
        n=choices,
        prompt_tokens=trip.prompt_estimate,
        personal_data=guarded is not None and guarded.found_personal_data,
        self_hosted_only=guarded is not None and guarded.route_local,
        language=language,
    )


def served_languages(models: list[ModelConfig]) -> dict[str, frozenset[str]]:
    """Model id -> the languages it serves well; models that name none are left out (any)."""
    return {model.id: frozenset(model.languages) for model in models if model.languages}


class RouteStage(StageBase):
    name = "route"
    # Embeddings are routed too: to upstream embedding models and the built-in ones, under
    # the same registry policies (a team kept off external models is kept off external
    # embedding models as well).
    kinds = GENERATION_KINDS | {"embeddings"}

    def __init__(
        self,
        router: Router,
        governor: Governor,
        languages: dict[str, frozenset[str]],
        detector: LanguageDetector = DETECTOR,
    ) -> None:
        self.router = router
        self.governor = governor
        self.languages = languages
        self.detector = detector

    async def _language(self, trip: Trip) -> str | None:
        """Detected only for a route that routes by language: no other request pays for it."""
        route = self.router.routes.get(trip.model)
        generation = trip.request.kind in GENERATION_KINDS
        if route is None or route.require.language is None or not generation:
            return None
        if not self.detector.loaded:  # the first such request reads the model off the loop
            await asyncio.to_thread(self.detector.load)
        return self.detector.detect(prompt_text(trip.request))

    async def enter(self, trip: Trip) -> None:
        assert trip.admission is not None
        identity = trip.admission.identity
        tagged = dataclasses.replace(identity, tags=self.governor.tags_of(identity))
        policies = self.governor.config.policies
        needs = trip.needs = needs_of(trip, await self._language(trip))

        def violation(target: Target) -> GatewayError | None:
            policy = first_violation(policies, tagged, target, needs.personal_data)
            return None if policy is None else refusal(policy, target)

        plan = trip.plan = self.router.select_route(trip.model, needs, violation, self.languages)
        trip.route = plan.name


def build(context: StageContext) -> RouteStage:
    return RouteStage(context.router, context.governor, served_languages(context.config.models))
