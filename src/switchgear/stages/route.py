"""route: which targets may serve this request, in what order (the provider step that follows
is the pipeline's own). What the request needs comes from its kind; what the caller may use
comes from the registry's policies."""

from __future__ import annotations

import dataclasses

from switchgear.governance.governor import Governor
from switchgear.governance.registry import first_violation, refusal
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


def needs_of(trip: Trip) -> Needs:
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
    )


class RouteStage(StageBase):
    name = "route"
    kinds = GENERATION_KINDS

    def __init__(self, router: Router, governor: Governor) -> None:
        self.router = router
        self.governor = governor

    async def enter(self, trip: Trip) -> None:
        assert trip.admission is not None
        identity = trip.admission.identity
        tagged = dataclasses.replace(identity, tags=self.governor.tags_of(identity))
        policies = self.governor.config.policies
        needs = trip.needs = needs_of(trip)

        def violation(target: Target) -> GatewayError | None:
            policy = first_violation(policies, tagged, target, needs.personal_data)
            return None if policy is None else refusal(policy, target)

        plan = trip.plan = self.router.select_route(trip.model, needs, violation)
        trip.route = plan.name


def build(context: StageContext) -> RouteStage:
    return RouteStage(context.router, context.governor)
