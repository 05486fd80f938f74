"""One request's trip through the pipeline: what every stage knows about it (`Trip`), and a
started answer the API iterates (`Answer`)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from switchgear.governance.governor import Admission
from switchgear.governance.keys import Identity
from switchgear.guards import Decision, GuardOutcome
from switchgear.knowledge import Citation, RouteKnowledge
from switchgear.providers.base import DeltaStream
from switchgear.routing.failover import Attempt
from switchgear.routing.router import Needs, RoutePlan
from switchgear.routing.target import Target
from switchgear.schema.errors import ClientDisconnected, GatewayError
from switchgear.schema.generation import Delta, Usage


@dataclass(slots=True)
class Trip:
    """What the stages, the ledger and the metrics know about one request, filled in as it
    goes. `request` is the typed request kind; a stage may replace it with a rewritten copy
    (the guards do), and later stages see only that copy."""

    request: Any
    secret: str | None
    endpoint: str  # the door, as the ledger and the metrics name it
    parent: Trip | None = None  # for an internal call: the trip it serves
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_at: float = field(default_factory=time.time)
    started: float = field(default_factory=time.perf_counter)
    model: str = ""
    stream: bool = False
    user: str | None = None  # as the caller sent it (the ledger stores it hashed)
    admission: Admission | None = None
    # Who is calling, known before limits and budgets admit them: a refused request's ledger
    # row still names the caller's key, team and app.
    caller: Identity | None = None
    guarded: GuardOutcome | None = None
    guard_decisions: list[Decision] = field(default_factory=list)
    binding: RouteKnowledge | None = None
    citations: list[Citation] = field(default_factory=list)
    template: str | None = None  # `name@version` of the prompt template rendered into it
    needs: Needs | None = None
    plan: RoutePlan | None = None
    route: str | None = None
    target: Target | None = None
    attempting: Target | None = None  # the target of the attempt being wrapped
    attempts: list[Attempt] = field(default_factory=list)
    first_delta_at: float | None = None
    body: dict[str, Any] | None = None  # the whole answer of a kind that does not stream
    prompt_estimate: int = 0  # the request's size in tokens, as estimated at admission
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    ended: float | None = None
    recorded: Future[None] | None = None
    span: Any = None  # the trip's OpenTelemetry span, where tracing is on
    # The response cache (stages/cache.py): `hit` or `miss` on a route that caches; a hit's
    # deltas and the target that first answered, streamed instead of asking a target.
    cache_status: str | None = None
    cache: Any = None
    replay: tuple[list[Delta], str] | None = None

    def __post_init__(self) -> None:
        request = self.request
        self.model = getattr(request, "model", None) or getattr(request, "collection", None) or ""
        self.stream = bool(getattr(request, "stream", False))
        self.user = getattr(request, "user", None)

    async def wait_recorded(self) -> None:
        if self.recorded is not None:
            await asyncio.wrap_future(self.recorded)


STATUS_CLIENT_CLOSED = 499  # nginx's code for a client that went away


def classify(outcome: BaseException | None) -> tuple[str, int, str | None]:
    """(status, HTTP status, error code) of a trip's outcome, for the ledger and metrics."""
    if outcome is None:
        return "ok", 200, None
    if isinstance(outcome, GatewayError):
        return "error", outcome.status, outcome.code or outcome.type
    if isinstance(outcome, ClientDisconnected | GeneratorExit | asyncio.CancelledError):
        return "cancelled", STATUS_CLIENT_CLOSED, "client_disconnected"
    return "error", 500, "internal_error"


# The trip whose stages are running in this task: internal calls (a judge, a reranker) made
# on its behalf are charged to the same caller.
CURRENT_TRIP: ContextVar[Trip | None] = ContextVar("switchgear_trip", default=None)

Finish = Callable[[Trip, BaseException | None], None]


class Answer:
    """A started answer: iterate it for deltas. Ending the iteration early cancels generation.
    A kind answered whole (embeddings, search, moderations, listings) has `body` instead and
    is already recorded."""

    def __init__(
        self,
        first: Delta | None,
        rest: DeltaStream | list[Delta] | None,
        trip: Trip,
        finish: Finish,
    ) -> None:
        self.trip = trip
        self._first = first
        self._rest = rest
        self._finish = finish
        self._started = first is None
        if first is not None:
            self._count(first)

    @classmethod
    def whole(cls, trip: Trip, finish: Finish) -> Answer:
        return cls(None, None, trip, finish)

    @property
    def body(self) -> dict[str, Any]:
        assert self.trip.body is not None
        return self.trip.body

    @property
    def target(self) -> Target:
        assert self.trip.target is not None
        return self.trip.target

    def _count(self, delta: Delta) -> None:
        if delta.usage is not None:
            self.trip.prompt_tokens += delta.usage.prompt_tokens
            self.trip.completion_tokens += delta.usage.completion_tokens

    async def deltas(self) -> AsyncIterator[Delta]:
        assert self._first is not None and self._rest is not None
        self._started = True
        outcome: BaseException | None = None
        rest = self._rest
        try:
            yield self._first
            if isinstance(rest, list):  # read whole already (a non-streamed answer)
                for delta in rest:
                    self._count(delta)
                    yield delta
            else:
                async for delta in rest:
                    self._count(delta)
                    yield delta
        except BaseException as error:
            outcome = error
            raise
        finally:
            if not isinstance(rest, list):
                await rest.aclose()
            self._finish(self.trip, outcome)

    async def abandon(self) -> None:
        """For a caller that stops before iterating: cancels generation, still writes the ledger."""
        if not self._started and self._rest is not None:
            self._started = True
            if not isinstance(self._rest, list):
                await self._rest.aclose()
            self._finish(self.trip, ClientDisconnected())

    async def recorded(self) -> None:
        """Waits until the ledger row is committed; the API calls it before the last byte."""
        await self.trip.wait_recorded()

    def usage(self) -> Usage:
        return Usage(self.trip.prompt_tokens, self.trip.completion_tokens)

    @property
    def citations(self) -> list[Citation]:
        return self.trip.citations


async def within(trip: Trip, deltas: DeltaStream) -> DeltaStream:
    """Makes `trip` the current one while its answer is produced, so calls made on its behalf
    while streaming (an output judge) are charged to it."""
    try:
        while True:
            token = CURRENT_TRIP.set(trip)
            try:
                delta = await anext(deltas)
            except StopAsyncIteration:
                return
            finally:
                CURRENT_TRIP.reset(token)
            yield delta
    finally:
        await deltas.aclose()
