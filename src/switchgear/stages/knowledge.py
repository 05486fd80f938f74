"""knowledge: a route bound to a collection gets the passages this caller may read as numbered
sources in its prompt (and citations in its answer). It runs before guards.in, so the passages
are screened like everything else that leaves; here they also pass the policy's injection
check, since the caller did not write them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from switchgear.governance.keys import Identity
from switchgear.guards import Decision, Guards
from switchgear.knowledge import Reader, RouteKnowledge
from switchgear.knowledge.stage import PassageScreening, with_sources_footer
from switchgear.providers.base import DeltaStream
from switchgear.stages.base import StageBase
from switchgear.stages.context import StageContext
from switchgear.trip import Trip

if TYPE_CHECKING:
    from switchgear.knowledge.service import Knowledge


def reader_of(identity: Identity) -> Reader:
    """Who is asking, as document permissions see it."""
    return Reader(user=identity.user, team=identity.team, app=identity.app)


class KnowledgeStage(StageBase):
    name = "knowledge"
    kinds = frozenset({"chat.completions"})

    def __init__(
        self,
        knowledge: Callable[[], Knowledge],
        bindings: dict[str, RouteKnowledge],
        guards: Guards,
        complete_internal: Callable[[str, str, str], Awaitable[str]],
    ) -> None:
        self.knowledge = knowledge
        self.bindings = bindings
        self.guards = guards
        self.complete_internal = complete_internal

    async def enter(self, trip: Trip) -> None:
        binding = self.bindings.get(trip.model)
        if binding is None:
            return
        assert trip.admission is not None
        trip.binding = binding
        identity = trip.admission.identity
        check = self.guards.retrieved_text_check(self.guards.policy_of(identity, trip.model))
        screening = PassageScreening(check.threshold, check.drop, check.score) if check else None
        rerank_route = binding.rerank_route

        async def rerank(prompt: str) -> str:
            assert rerank_route is not None
            return await self.complete_internal("rerank", rerank_route, prompt)

        augmented = await self.knowledge().augment(
            trip.request,
            binding,
            reader_of(identity),
            screen=screening.apply if screening else None,
            complete=rerank if rerank_route else None,
        )
        if screening is not None and (screening.dropped or screening.flagged):
            action = "drop" if screening.dropped else "flag"
            decision = Decision("injection.knowledge", action, score=screening.top_score)
            trip.guard_decisions.append(decision)
        trip.citations = augmented.citations
        trip.request = augmented.request

    def wrap(self, trip: Trip, deltas: DeltaStream) -> DeltaStream:
        binding = trip.binding
        if binding is not None and binding.sources_footer and trip.citations:
            return with_sources_footer(deltas, trip.citations)
        return deltas


def build(context: StageContext) -> KnowledgeStage:
    return KnowledgeStage(
        context.knowledge, context.bindings, context.guards, context.complete_internal
    )
