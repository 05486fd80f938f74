"""One request's trip through the pipeline: the facts the ledger needs (`Trip`), and a started
answer the API iterates (`Answer`)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from switchgear.governance.governor import Admission
from switchgear.guards import Decision
from switchgear.knowledge import Citation
from switchgear.routing.failover import Attempt
from switchgear.routing.target import Target
from switchgear.schema.errors import ClientDisconnected
from switchgear.schema.generation import Delta, Usage


@dataclass(slots=True)
class Trip:
    """What the ledger and metrics need to know about one request, filled in as it goes."""

    endpoint: str
    model: str
    stream: bool
    user: str | None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_at: float = field(default_factory=time.time)
    started: float = field(default_factory=time.perf_counter)
    admission: Admission | None = None
    guard_decisions: list[Decision] = field(default_factory=list)
    route: str | None = None
    target: Target | None = None
    attempts: list[Attempt] = field(default_factory=list)
    first_delta_at: float | None = None
    recorded: Future[None] | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    citations: list[Citation] = field(default_factory=list)


class Answer:
    """A started answer: iterate it for deltas. Ending the iteration early cancels generation."""

    def __init__(
        self,
        first: Delta,
        rest: AsyncIterator[Delta],
        trip: Trip,
        finish: Callable[[Trip, BaseException | None], None],
    ) -> None:
        self.trip = trip
        self._first = first
        self._rest = rest
        self._finish = finish
        self._started = False
        self._count(first)

    @property
    def target(self) -> Target:
        assert self.trip.target is not None
        return self.trip.target

    def _count(self, delta: Delta) -> None:
        if delta.usage is not None:
            self.trip.prompt_tokens += delta.usage.prompt_tokens
            self.trip.completion_tokens += delta.usage.completion_tokens

    async def deltas(self) -> AsyncIterator[Delta]:
        self._started = True
        outcome: BaseException | None = None
        try:
            yield self._first
            async for delta in self._rest:
                self._count(delta)
                yield delta
        except BaseException as error:
            outcome = error
            raise
        finally:
            await close_stream(self._rest)
            self._finish(self.trip, outcome)

    async def abandon(self) -> None:
        """For a caller that stops before iterating: cancels generation, still writes the ledger."""
        if not self._started:
            self._started = True
            await close_stream(self._rest)
            self._finish(self.trip, ClientDisconnected())

    async def recorded(self) -> None:
        """Waits until the ledger row is committed; the API calls it before the last byte."""
        if self.trip.recorded is not None:
            await asyncio.wrap_future(self.trip.recorded)

    def usage(self) -> Usage:
        return Usage(self.trip.prompt_tokens, self.trip.completion_tokens)

    @property
    def citations(self) -> list[Citation]:
        return self.trip.citations


async def close_stream(stream: AsyncIterator[Delta]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()
