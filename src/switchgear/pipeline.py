"""The trip every request takes, as plain code. Each stage is one call; data only moves forward.

    auth -> guards.in -> knowledge -> router -> provider -> guards.out -> ledger

Stages not built yet are marked where they go. A trip returns an `Answer` only once the provider
has produced its first delta, so any failure before that becomes a proper HTTP error instead of
a broken stream, and the ledger row is written however the trip ends.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from switchgear.ledger.writer import LedgerWriter
from switchgear.metrics import GatewayMetrics
from switchgear.routing.table import ModelRoute, RouteTable
from switchgear.schema.errors import ClientDisconnected, GatewayError, InvalidRequest
from switchgear.schema.generation import Delta, Usage
from switchgear.schema.requests import ChatCompletionRequest, CompletionRequest
from switchgear.store.base import UsageRecord

STATUS_CLIENT_CLOSED = 499


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
    route: ModelRoute | None = None
    first_delta_at: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


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
    def route(self) -> ModelRoute:
        assert self.trip.route is not None
        return self.trip.route

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
            await _close(self._rest)
            self._finish(self.trip, outcome)

    async def abandon(self) -> None:
        """For a caller that stops before iterating: cancels generation, still writes the ledger."""
        if not self._started:
            self._started = True
            await _close(self._rest)
            self._finish(self.trip, ClientDisconnected())

    def usage(self) -> Usage:
        return Usage(self.trip.prompt_tokens, self.trip.completion_tokens)


class Pipeline:
    def __init__(self, routes: RouteTable, ledger: LedgerWriter, metrics: GatewayMetrics) -> None:
        self.routes = routes
        self.ledger = ledger
        self.metrics = metrics

    async def start_chat(self, request: ChatCompletionRequest) -> Answer:
        trip = Trip("chat.completions", request.model, bool(request.stream), request.user)
        try:
            # auth: keys and limits arrive with the governance issue.
            # guards.in: personal data, unsafe content, injection (guards issue).
            # knowledge: retrieval for collection-bound routes (knowledge issue).
            route = trip.route = self.routes.select_route(request.model)
            deltas = route.provider.stream_chat(route.upstream_model, request)
            # guards.out: restore pseudonyms, screen the answer (guards issue).
            return await self._begin(deltas, trip)
        except BaseException as error:
            self._finish(trip, error)
            raise

    async def start_text(self, request: CompletionRequest) -> Answer:
        trip = Trip("completions", request.model, bool(request.stream), request.user)
        try:
            route = trip.route = self.routes.select_route(request.model)
            deltas = _each_prompt(route, request)
            return await self._begin(deltas, trip)
        except BaseException as error:
            self._finish(trip, error)
            raise

    def record_rejected(self, endpoint: str, error: GatewayError) -> None:
        """A request refused before its trip began (unreadable body) still gets a ledger row."""
        trip = Trip(endpoint, "", stream=False, user=None)
        error.headers.setdefault("x-request-id", trip.request_id)
        self._finish(trip, error)

    async def _begin(self, deltas: AsyncIterator[Delta], trip: Trip) -> Answer:
        try:
            first = await anext(deltas)
        except BaseException:
            await _close(deltas)
            raise
        trip.first_delta_at = time.perf_counter()
        return Answer(first, deltas, trip, self._finish)

    def _finish(self, trip: Trip, outcome: BaseException | None) -> None:
        """ledger: one row per request, however it ended; metrics from the same facts."""
        now = time.perf_counter()
        status, http_status, code = _classify(outcome)
        if isinstance(outcome, GatewayError):
            outcome.headers.setdefault("x-request-id", trip.request_id)
        route = trip.route
        served = route.model_id if route else None
        ttft_ms = (trip.first_delta_at - trip.started) * 1000 if trip.first_delta_at else None
        self.ledger.record(
            UsageRecord(
                request_id=trip.request_id,
                created_at=trip.created_at,
                endpoint=trip.endpoint,
                model=trip.model,
                served_model=served,
                provider=route.provider_kind if route else None,
                stream=trip.stream,
                status=status,
                http_status=http_status,
                error_code=code,
                prompt_tokens=trip.prompt_tokens,
                completion_tokens=trip.completion_tokens,
                latency_ms=(now - trip.started) * 1000,
                ttft_ms=ttft_ms,
                user=trip.user,
            )
        )
        label = served or "unknown"
        m = self.metrics
        m.requests.labels(trip.endpoint, label, status).inc()
        m.latency.labels(trip.endpoint, label).observe(now - trip.started)
        if ttft_ms is not None:
            m.ttft.labels(trip.endpoint, label).observe(ttft_ms / 1000)
        if trip.prompt_tokens or trip.completion_tokens:
            m.tokens.labels(label, "prompt").inc(trip.prompt_tokens)
            m.tokens.labels(label, "completion").inc(trip.completion_tokens)
        if code is not None:
            m.errors.labels(trip.endpoint, label, code).inc()


async def _each_prompt(route: ModelRoute, request: CompletionRequest) -> AsyncIterator[Delta]:
    """A text completion request may carry several prompts: one choice each, in order."""
    prompt = request.prompt
    if isinstance(prompt, str) or (prompt and isinstance(prompt[0], int)):
        prompts: list[str | list[int]] = [prompt]
    else:
        prompts = list(prompt)
    if not prompts:
        raise InvalidRequest("`prompt` must not be an empty list.", param="prompt")
    for index, one in enumerate(prompts):
        stream = route.provider.stream_text(route.upstream_model, request, one, index)
        try:
            async for delta in stream:
                yield delta
        finally:
            await _close(stream)


async def _close(stream: AsyncIterator[Delta]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


def _classify(outcome: BaseException | None) -> tuple[str, int, str | None]:
    if outcome is None:
        return "ok", 200, None
    if isinstance(outcome, GatewayError):
        return "error", outcome.status, outcome.code or outcome.type
    if isinstance(outcome, ClientDisconnected | GeneratorExit | asyncio.CancelledError):
        return "cancelled", STATUS_CLIENT_CLOSED, "client_disconnected"
    return "error", 500, "internal_error"
