"""What a stage is: which request kinds it applies to, what it does on the way in, how it wraps
each answer stream on the way out, and what it settles once the trip has ended."""

from __future__ import annotations

from typing import Protocol

from switchgear.providers.base import DeltaStream
from switchgear.trip import Trip


class Stage(Protocol):
    name: str
    # The request kinds (`ChatCompletionRequest.kind`, …) this stage applies to; None: all.
    kinds: frozenset[str] | None

    async def enter(self, trip: Trip) -> None:
        """On the way in, in pipeline order. May refuse (raise) or rewrite `trip.request`."""
        ...

    def wrap(self, trip: Trip, deltas: DeltaStream) -> DeltaStream:
        """On the way out, in pipeline order: wraps each provider attempt's stream."""
        ...

    def finish(self, trip: Trip, outcome: BaseException | None) -> None:
        """Once, however the trip ended (`outcome` is None for success), in pipeline order.
        Must not raise and must not block: the ledger row is written here."""
        ...

    async def drain(self) -> None:
        """At shutdown: waits for background work the stage started."""
        ...


class StageBase:
    """Defaults for a stage that only needs some of the three steps."""

    name = "stage"
    kinds: frozenset[str] | None = None

    async def enter(self, trip: Trip) -> None:
        return None

    def wrap(self, trip: Trip, deltas: DeltaStream) -> DeltaStream:
        return deltas

    def finish(self, trip: Trip, outcome: BaseException | None) -> None:
        return None

    async def drain(self) -> None:
        return None
