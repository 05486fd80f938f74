"""The trip every request takes, as plain code. Each stage is one call; data only moves forward.

    auth -> template -> knowledge -> guards.in -> route -> [provider] -> guards.out -> ledger

`Pipeline.run` is the one entry for every request kind (chat, text completion, embeddings,
search, moderation, model listing, internal call). The stage list is built once by the gateway
from the registry; each stage declares the kinds it applies to, so a new door is a new request
kind and a wire translation in `api/`, and cannot skip a stage by forgetting it.

On the way in, each stage's `enter` runs in order. Then the provider step: for a generation,
the route's targets are tried until one produces a first delta, each attempt's stream wrapped
by every stage's `wrap` in order; for the other kinds, the kind's service answers whole. A
trip returns an `Answer` only once there is a first delta (or a whole body), so any failure
before that becomes a proper HTTP error instead of a broken stream. However the trip ends,
each stage's `finish` runs once, in order, the ledger's last.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from switchgear.providers.base import DeltaStream
from switchgear.routing.failover import start_first_healthy
from switchgear.routing.router import Router
from switchgear.routing.target import Target
from switchgear.schema.errors import GatewayError
from switchgear.schema.kinds import GENERATION_KINDS, InternalCall, Unreadable
from switchgear.schema.requests import CompletionRequest, TextPrompt
from switchgear.stages.base import Stage, StageBase
from switchgear.tracing.spans import Tracing, detach
from switchgear.trip import CURRENT_TRIP, Answer, Trip

if TYPE_CHECKING:
    from switchgear.governance.keys import Identity

log = logging.getLogger("switchgear")

# Answers a kind that does not stream (embeddings, search, moderations, listings) whole.
Service = Callable[[Trip], Awaitable[dict[str, Any]]]
INTERNAL_MAX_TOKENS = 64


@dataclass(frozen=True, slots=True)
class KindStages:
    """The stages that apply to one request kind, and (so a trip does not call no-ops on
    every request) those among them that override each step."""

    entering: list[Stage]
    wrapping: list[Stage]
    finishing: list[Stage]
    finish: Callable[[Trip, BaseException | None], None]

    @classmethod
    def of(cls, stages: list[Stage], pipeline: Pipeline) -> KindStages:
        def overrides(step: str) -> list[Stage]:
            default = getattr(StageBase, step)
            return [s for s in stages if getattr(type(s), step, None) is not default]

        finishing = overrides("finish")

        def finish(trip: Trip, outcome: BaseException | None) -> None:
            pipeline.finish(trip, finishing, outcome)

        return cls(overrides("enter"), overrides("wrap"), finishing, finish)


class Pipeline:
    def __init__(
        self,
        stages: list[Stage],
        router: Router,
        services: dict[str, Service],
        tracing: Tracing | None = None,
    ) -> None:
        self.stages = stages
        self.router = router
        self.services = services
        self.tracing = tracing or Tracing.off()
        self._by_kind: dict[str, KindStages] = {}

    def stages_for(self, kind: str) -> KindStages:
        found = self._by_kind.get(kind)
        if found is None:
            applies = [s for s in self.stages if s.kinds is None or kind in s.kinds]
            found = KindStages.of(applies, self)
            self._by_kind[kind] = found
        return found

    async def run(
        self,
        request: Any,
        secret: str | None = None,
        door: str | None = None,
        caller: Identity | None = None,
    ) -> Answer:
        """One trip. Raises `GatewayError` (already ledgered) when the request is refused or no
        target produced a first delta. `door` names the wire a translated request came in by
        (`anthropic.messages`, `responses`) for the ledger and the metrics; the stages see
        only the request's kind. `caller`: who is calling, where no secret came with the
        request (a batch's line runs as the key that created the batch)."""
        internal = isinstance(request, InternalCall)
        parent = CURRENT_TRIP.get() if internal else None
        endpoint = f"internal.{request.purpose}" if internal else door or request.kind
        trip = Trip(request, secret, endpoint, parent=parent, caller=caller)
        stages = self.stages_for(request.kind)
        token = CURRENT_TRIP.set(trip)
        tracing = self.tracing if self.tracing.enabled else None
        traced = tracing.start_trip(trip) if tracing is not None else None
        try:
            for stage in stages.entering:
                if tracing is None:
                    await stage.enter(trip)
                    continue
                with tracing.stage(trip, stage.name):
                    await stage.enter(trip)
            if request.kind in GENERATION_KINDS:
                return await self._generate(trip, stages)
            trip.body = await self.services[request.kind](trip)
        except BaseException as error:
            stages.finish(trip, error)
            raise
        finally:
            CURRENT_TRIP.reset(token)
            if traced is not None:
                detach(traced)
        stages.finish(trip, None)
        await trip.wait_recorded()  # a whole answer is on disk before it is sent
        return Answer.whole(trip, stages.finish)

    async def complete_internal(self, purpose: str, model: str, prompt: str) -> str:
        """A plain answer from a route for the gateway's own use (a judge, a reranker): the
        whole trip, charged to the request it serves."""
        call = InternalCall.prompt(purpose, model, prompt, INTERNAL_MAX_TOKENS)
        answer = await self.run(call)
        return "".join([delta.text async for delta in answer.deltas()])

    def record_rejected(self, endpoint: str, error: GatewayError) -> None:
        """A request refused before its trip began (unreadable body) still gets a ledger row."""
        request = Unreadable(endpoint)
        trip = Trip(request, None, endpoint)
        self.stages_for(request.kind).finish(trip, error)

    async def drain(self) -> None:
        """At shutdown: waits for work the stages left running (budget settlement)."""
        for stage in self.stages:
            await stage.drain()

    # -- the provider step ----------------------------------------------------------------

    async def _generate(self, trip: Trip, stages: KindStages) -> Answer:
        plan = trip.plan
        assert plan is not None, "the route stage plans every generation"
        request = trip.request
        wrapping = stages.wrapping

        def call(target: Target) -> DeltaStream:
            deltas = _send(target, request)
            trip.attempting = target  # whose stream the stages are wrapping now
            for stage in wrapping:
                deltas = stage.wrap(trip, deltas)
            return deltas

        if trip.replay is not None:  # the cache stage found this answer: no target is asked
            return await self._replay(trip, stages, plan.targets[0])

        # A non-streamed answer is read whole before it counts as started: a target that
        # breaks off half-way then fails over (the client has seen nothing) and trips the
        # breaker, instead of turning into a 502.
        started = await start_first_healthy(
            plan, call, self.router.health, self.router.resilience, trip.attempts, not trip.stream
        )
        trip.target = started.target
        trip.first_delta_at = time.perf_counter()
        self.router.health[started.target.model_id].in_flight += 1
        return Answer(started.first, started.rest, trip, stages.finish)

    async def _replay(self, trip: Trip, stages: KindStages, planned: Target) -> Answer:
        """A cached answer through the stages' wrapping, like a fresh one (the guards restore
        pseudonyms for this trip), from a target that costs nothing: `model@cache`."""
        assert trip.replay is not None
        deltas, label = trip.replay
        model_id = label.rsplit("@", 1)[0]
        answered = next((t for t in self.router.targets if t.model_id == model_id), planned)
        trip.target = dataclasses.replace(
            answered,
            provider_name="cache",
            input_price_per_mtok=0.0,
            output_price_per_mtok=0.0,
            cost_per_hour=0.0,
        )

        async def replayed() -> DeltaStream:
            for delta in deltas:
                yield delta

        stream = replayed()
        for stage in stages.wrapping:
            stream = stage.wrap(trip, stream)
        first = await anext(stream)
        trip.first_delta_at = time.perf_counter()
        self.router.health[answered.model_id].in_flight += 1  # finish() takes it off
        return Answer(first, stream, trip, stages.finish)

    def finish(self, trip: Trip, finishing: list[Stage], outcome: BaseException | None) -> None:
        """The end of a trip, however it ended: the provider step's accounting, then each
        stage's `finish` in order (the ledger's last). Runs once per trip."""
        trip.ended = time.perf_counter()
        target = trip.target
        if target is not None:
            if trip.first_delta_at is not None:
                self.router.health[target.model_id].in_flight -= 1
            seconds = trip.ended - trip.started
            trip.cost = target.cost(trip.prompt_tokens, trip.completion_tokens, seconds)
        if isinstance(outcome, GatewayError):
            outcome.headers.setdefault("x-request-id", trip.request_id)
        for stage in finishing:
            try:
                stage.finish(trip, outcome)
            except Exception:  # one stage's failure must not cost the others (the ledger)
                log.exception("stage %s failed to finish request %s", stage.name, trip.request_id)
        if isinstance(outcome, GatewayError):
            outcome.recorded = trip.recorded
        if trip.span is not None:
            self.tracing.end_trip(trip, outcome)


def _send(target: Target, request: Any) -> DeltaStream:
    """The request as the provider protocol takes it: a chat, or one prompt at a time."""
    if isinstance(request, CompletionRequest):
        return _each_prompt(target, request)
    chat = request.chat if isinstance(request, InternalCall) else request
    return target.provider.send(target.upstream_model, chat)


async def _each_prompt(target: Target, request: CompletionRequest) -> DeltaStream:
    """A text completion with several prompts: one choice each, in order."""
    for index, prompt in enumerate(request.prompts()):
        one = TextPrompt(request, prompt, index)
        async with aclosing(target.provider.send(target.upstream_model, one)) as deltas:
            async for delta in deltas:
                yield delta
