"""The trip every request takes, as plain code. Each stage is one call; data only moves forward.

    auth -> guards.in -> knowledge -> router -> provider -> guards.out -> ledger

A trip returns an `Answer` only once the provider
has produced its first delta, so any failure before that becomes a proper HTTP error instead of
a broken stream, and the ledger row is written however the trip ends.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from switchgear.governance.governor import Admission, Forbidden, Governor
from switchgear.governance.keys import Identity
from switchgear.governance.registry import first_violation
from switchgear.guards import Decision, GuardBlocked, GuardOutcome, Guards, GuardUnavailable
from switchgear.knowledge import Reader, RouteKnowledge
from switchgear.knowledge.stage import PassageScreening, with_sources_footer
from switchgear.ledger.writer import LedgerWriter
from switchgear.metrics import GatewayMetrics
from switchgear.routing.failover import Call, start_first_healthy
from switchgear.routing.router import Needs, Router
from switchgear.routing.target import Target
from switchgear.schema.errors import ClientDisconnected, GatewayError, InvalidRequest
from switchgear.schema.generation import Delta
from switchgear.schema.requests import (
    ChatCompletionRequest,
    CompletionRequest,
    Message,
    ResponseFormatJsonSchema,
)
from switchgear.store.base import AdminEvent, AttemptRecord, UsageRecord
from switchgear.trip import Answer, Trip, close_stream

if TYPE_CHECKING:
    from switchgear.knowledge.embeddings_api import EmbeddingsRequest, SearchRequest
    from switchgear.knowledge.service import Knowledge

STATUS_CLIENT_CLOSED = 499


class Pipeline:
    def __init__(
        self,
        governor: Governor,
        guards: Guards,
        router: Router,
        ledger: LedgerWriter,
        metrics: GatewayMetrics,
        knowledge: Callable[[], Knowledge],
        bindings: dict[str, RouteKnowledge],
    ) -> None:
        self.governor = governor
        self.guards = guards
        self.router = router
        self.ledger = ledger
        self.metrics = metrics
        # Opened on first use: a gateway without knowledge routes never loads the embedder.
        self.knowledge = knowledge
        self.bindings = bindings

    async def start_chat(self, request: ChatCompletionRequest, secret: str | None = None) -> Answer:
        trip = Trip("chat.completions", request.model, bool(request.stream), request.user)
        try:
            estimate = sum(len(m.text()) for m in request.messages) // 4
            await self._admit(trip, secret, estimate)
            guarded = await self._screen_request(trip, request)
            if guarded is not None:
                request = guarded.request
            binding = self.bindings.get(request.model)
            if binding is not None:
                request = await self._retrieve(trip, request, binding, guarded)
            needs = Needs(
                tools=bool(request.tools or request.functions),
                json_schema=isinstance(request.response_format, ResponseFormatJsonSchema),
                prompt_tokens=estimate,
                personal_data=guarded is not None and _found_personal_data(guarded),
                self_hosted_only=guarded is not None and guarded.route_local,
            )
            screened = request

            def call(target: Target) -> AsyncIterator[Delta]:
                deltas = target.provider.stream_chat(target.upstream_model, screened)
                # guards.out: restore pseudonyms, screen the answer.
                if guarded is not None:
                    deltas = self.guards.guard_answer(deltas, guarded)
                if binding is not None and binding.sources_footer and trip.citations:
                    deltas = with_sources_footer(deltas, trip.citations)
                return deltas

            return await self._route_and_start(trip, needs, call)
        except BaseException as error:
            self._finish(trip, error)
            raise

    async def start_text(self, request: CompletionRequest, secret: str | None = None) -> Answer:
        trip = Trip("completions", request.model, bool(request.stream), request.user)
        try:
            prompts = _prompts(request)
            await self._admit(trip, secret, sum(len(p) for p in prompts) // 4)

            def call(target: Target) -> AsyncIterator[Delta]:
                return _each_prompt(target, request, prompts)

            return await self._route_and_start(trip, Needs(), call)
        except BaseException as error:
            self._finish(trip, error)
            raise

    async def _admit(self, trip: Trip, secret: str | None, tokens: int) -> None:
        """auth: identity, model permission, limits and budgets."""
        admission = trip.admission = await self.governor.admit(
            trip.request_id, secret, trip.model, tokens
        )
        for warning in admission.warnings:
            self.ledger.record(
                AdminEvent(
                    time.time(),
                    admission.identity.key_id or "anonymous",
                    "budget.warning",
                    trip.request_id,
                    {"budget": warning},
                )
            )

    async def _screen_request(
        self, trip: Trip, request: ChatCompletionRequest
    ) -> GuardOutcome | None:
        """guards.in: personal data, unsafe content, injection, per the caller's policy."""
        assert trip.admission is not None
        identity = trip.admission.identity
        policy = identity.guard_policy or self.guards.policy_name(
            route=request.model, key=identity.key_id or identity.app
        )
        if policy == "off":
            return None
        try:
            outcome = await self.guards.screen_request(request, policy)
        except (GuardBlocked, GuardUnavailable) as error:
            trip.guard_decisions = list(getattr(error, "decisions", []))
            raise
        # The same list grows with output screening; the ledger reads it at the end.
        trip.guard_decisions = outcome.decisions
        return outcome

    async def _retrieve(
        self,
        trip: Trip,
        request: ChatCompletionRequest,
        binding: RouteKnowledge,
        guarded: GuardOutcome | None,
    ) -> ChatCompletionRequest:
        """knowledge: the passages this caller may read, as numbered sources in the prompt;
        retrieved text goes through the injection guard of the caller's policy."""
        assert trip.admission is not None
        check = self.guards.retrieved_text_check(guarded.policy) if guarded else None
        screening = PassageScreening(check.threshold, check.drop, check.score) if check else None
        rerank_route = binding.rerank_route

        async def rerank(prompt: str) -> str:
            assert rerank_route is not None
            return await self.complete_internal(rerank_route, prompt)

        augmented = await self.knowledge().augment(
            request,
            binding,
            _reader(trip.admission.identity),
            screen=screening.apply if screening else None,
            complete=rerank if rerank_route else None,
        )
        if screening is not None and (screening.dropped or screening.flagged):
            action = "drop" if screening.dropped else "flag"
            decision = Decision("injection.knowledge", action, score=screening.top_score)
            trip.guard_decisions.append(decision)
        trip.citations = augmented.citations
        return augmented.request

    async def embed(self, request: EmbeddingsRequest, secret: str | None) -> dict[str, Any]:
        """`/v1/embeddings`: the same auth, limits and ledger row as a chat request."""
        trip = Trip("embeddings", request.model, stream=False, user=request.user)
        trip.route = "knowledge"
        try:
            await self._admit(trip, secret, 0)
            body = await asyncio.to_thread(lambda: self.knowledge().embeddings(request))
            trip.prompt_tokens = int(body["usage"]["prompt_tokens"])
        except BaseException as error:
            self._finish(trip, error)
            raise
        await self._finish_recorded(trip)
        return body

    async def search(self, request: SearchRequest, secret: str | None) -> dict[str, Any]:
        """`/v1/search`: retrieval only, filtered by the caller's identity like a chat route;
        ledgered (who searched which collection), never the query text."""
        trip = Trip("search", request.model or request.collection or "", False, None)
        trip.route = "knowledge"
        try:
            identity = self.governor.identify(secret)
            trip.admission = Admission(identity)
            if request.model is not None and not identity.may_use(request.model):
                raise Forbidden(
                    f"This key may not use `{request.model}`.", code="model_not_allowed"
                )
            bound = self.bindings.get(request.model) if request.model else None
            if request.model is not None and bound is None:
                raise InvalidRequest(
                    f"`{request.model}` is not bound to a knowledge collection.", param="model"
                )
            reader = _reader(identity)
            body = await asyncio.to_thread(
                lambda: self.knowledge().search_response(request, reader, bound)
            )
        except BaseException as error:
            self._finish(trip, error)
            raise
        await self._finish_recorded(trip)
        return body

    async def _finish_recorded(self, trip: Trip) -> None:
        """A whole answer (not a stream): its ledger row is committed before it is sent."""
        self._finish(trip, None)
        if trip.recorded is not None:
            await asyncio.wrap_future(trip.recorded)

    async def complete_internal(self, model: str, prompt: str) -> str:
        """A plain answer from a route, for guards that ask a model (an LLM judge)."""
        request = ChatCompletionRequest(
            model=model,
            messages=[Message(role="user", content=prompt)],
            max_tokens=64,
            temperature=0.0,
        )
        plan = self.router.select_route(model, Needs())

        def call(target: Target) -> AsyncIterator[Delta]:
            return target.provider.stream_chat(target.upstream_model, request)

        started = await start_first_healthy(
            plan, call, self.router.health, self.router.resilience, []
        )
        parts = [started.first.text]
        async for delta in started.rest:
            parts.append(delta.text)
        return "".join(parts)

    async def _route_and_start(self, trip: Trip, needs: Needs, call: Call) -> Answer:
        """router, then provider: the first target that produces a first delta serves."""
        assert trip.admission is not None
        identity = trip.admission.identity
        tagged = Identity(**{**_fields(identity), "tags": self.governor.tags_of(identity)})
        policies = self.governor.config.policies

        def violation(target: Target) -> object:
            return first_violation(policies, tagged, target, needs.personal_data)

        plan = self.router.select_route(trip.model, needs, violation)
        trip.route = plan.name
        started = await start_first_healthy(
            plan, call, self.router.health, self.router.resilience, trip.attempts
        )
        trip.target = started.target
        trip.first_delta_at = time.perf_counter()
        self.router.health[started.target.model_id].in_flight += 1
        return Answer(started.first, started.rest, trip, self._finish)

    def record_rejected(self, endpoint: str, error: GatewayError) -> None:
        """A request refused before its trip began (unreadable body) still gets a ledger row."""
        trip = Trip(endpoint, "", stream=False, user=None)
        error.headers.setdefault("x-request-id", trip.request_id)
        self._finish(trip, error)

    def _finish(self, trip: Trip, outcome: BaseException | None) -> None:
        """ledger: one row per request, however it ended; metrics from the same facts."""
        now = time.perf_counter()
        status, http_status, code = _classify(outcome)
        if isinstance(outcome, GatewayError):
            outcome.headers.setdefault("x-request-id", trip.request_id)
        target = trip.target
        if target is not None and trip.first_delta_at is not None:
            self.router.health[target.model_id].in_flight -= 1
        seconds = now - trip.started
        cost = target.cost(trip.prompt_tokens, trip.completion_tokens, seconds) if target else 0.0
        identity = trip.admission.identity if trip.admission else None
        if trip.admission is not None:
            tokens = trip.prompt_tokens + trip.completion_tokens
            _background(self.governor.settle(trip.admission, tokens, cost))
        served = target.model_id if target else None
        ttft_ms = (trip.first_delta_at - trip.started) * 1000 if trip.first_delta_at else None
        trip.recorded = self.ledger.record(
            UsageRecord(
                request_id=trip.request_id,
                created_at=trip.created_at,
                endpoint=trip.endpoint,
                model=trip.model,
                served_model=served,
                provider=target.provider_kind if target else None,
                stream=trip.stream,
                status=status,
                http_status=http_status,
                error_code=code,
                prompt_tokens=trip.prompt_tokens,
                completion_tokens=trip.completion_tokens,
                latency_ms=(now - trip.started) * 1000,
                ttft_ms=ttft_ms,
                user=trip.user,
                route=trip.route,
                target=target.label if target else None,
                key_id=identity.key_id if identity else None,
                team=identity.team if identity else None,
                app=identity.app if identity else None,
                cost=cost,
                guard=_guard_json(trip.guard_decisions),
                attempts=tuple(
                    AttemptRecord(a.target, a.status, a.http_status, a.error_code, a.latency_ms)
                    for a in trip.attempts
                ),
            )
        )
        if isinstance(outcome, GatewayError):
            outcome.recorded = trip.recorded
        self.metrics.record_request(
            trip.endpoint,
            served or "unknown",
            status,
            seconds,
            None if ttft_ms is None else ttft_ms / 1000,
            trip.prompt_tokens,
            trip.completion_tokens,
            code,
        )


def _prompts(request: CompletionRequest) -> list[str | list[int]]:
    """A text completion request may carry several prompts: one choice each, in order."""
    prompt = request.prompt
    if isinstance(prompt, str) or (prompt and isinstance(prompt[0], int)):
        return [prompt]
    if not prompt:
        raise InvalidRequest("`prompt` must not be an empty list.", param="prompt")
    return list(prompt)


async def _each_prompt(
    target: Target, request: CompletionRequest, prompts: list[str | list[int]]
) -> AsyncIterator[Delta]:
    for index, one in enumerate(prompts):
        stream = target.provider.stream_text(target.upstream_model, request, one, index)
        try:
            async for delta in stream:
                yield delta
        finally:
            await close_stream(stream)


def _classify(outcome: BaseException | None) -> tuple[str, int, str | None]:
    if outcome is None:
        return "ok", 200, None
    if isinstance(outcome, GatewayError):
        return "error", outcome.status, outcome.code or outcome.type
    if isinstance(outcome, ClientDisconnected | GeneratorExit | asyncio.CancelledError):
        return "cancelled", STATUS_CLIENT_CLOSED, "client_disconnected"
    return "error", 500, "internal_error"


_pending: set[asyncio.Task[None]] = set()


def _background(work: Coroutine[Any, Any, None]) -> None:
    """Settling limits must not delay the answer; keep a reference so it is not collected."""
    task = asyncio.get_running_loop().create_task(work)
    _pending.add(task)
    task.add_done_callback(_pending.discard)


def _reader(identity: Identity) -> Reader:
    """Who is asking, as document permissions see it."""
    return Reader(user=identity.user, team=identity.team, app=identity.app)


def _fields(identity: Identity) -> dict[str, Any]:
    return {name: getattr(identity, name) for name in identity.__slots__}


def _found_personal_data(outcome: GuardOutcome) -> bool:
    return any(d.guard == "pii" and d.entities for d in outcome.decisions)


def _guard_json(decisions: list[Decision]) -> str | None:
    """Entity types, counts, actions and scores only: never a detected value."""
    if not decisions:
        return None
    return json.dumps([d.as_dict() for d in decisions], sort_keys=True, separators=(",", ":"))
