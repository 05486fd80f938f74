"""guards.in: every string that will leave is screened by the caller's policy (personal data,
injection, unsafe content) and the request is rewritten or refused. guards.out: the answer
gets its pseudonyms back and is screened as it streams."""

from __future__ import annotations

from switchgear.guards import GuardBlocked, GuardInputTooLarge, Guards, GuardUnavailable
from switchgear.providers.base import DeltaStream
from switchgear.schema.kinds import GENERATION_KINDS
from switchgear.stages.base import StageBase
from switchgear.stages.context import StageContext
from switchgear.trip import Trip, within


class GuardsInStage(StageBase):
    name = "guards.in"
    # An MCP tool call's arguments leave for the tool's server like a prompt for a provider
    # (its result is screened by the MCP service: the pipeline does not wrap a whole answer).
    # Texts to classify may go to a route's model (`method: generate`): screened the same.
    # So are texts to embed: an upstream embedding model is data leaving like a prompt.
    kinds = GENERATION_KINDS | {"mcp.tools.call", "classifications", "embeddings"}

    def __init__(self, guards: Guards) -> None:
        self.guards = guards

    async def enter(self, trip: Trip) -> None:
        assert trip.admission is not None
        policy = self.guards.policy_of(trip.admission.identity, trip.model)
        if policy == "off":
            return
        try:
            # The gateway's own judge calls are not judged again (that would never end).
            outcome = await self.guards.screen_request(
                trip.request, policy, moderate=trip.request.kind != "internal"
            )
        except (GuardBlocked, GuardUnavailable, GuardInputTooLarge) as error:
            trip.guard_decisions = list(error.decisions)
            raise
        # The same list grows with output screening; the ledger reads it at the end.
        trip.guard_decisions = outcome.decisions
        trip.guarded = outcome
        trip.request = outcome.request


class GuardsOutStage(StageBase):
    name = "guards.out"
    kinds = GENERATION_KINDS

    def __init__(self, guards: Guards) -> None:
        self.guards = guards

    def wrap(self, trip: Trip, deltas: DeltaStream) -> DeltaStream:
        if trip.guarded is None:
            return deltas
        # The answer side may call a model (an output judge): charged to this trip.
        return within(trip, self.guards.guard_answer(deltas, trip.guarded))


def build_in(context: StageContext) -> GuardsInStage:
    return GuardsInStage(context.guards)


def build_out(context: StageContext) -> GuardsOutStage:
    return GuardsOutStage(context.guards)
