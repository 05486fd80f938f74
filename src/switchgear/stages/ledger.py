"""ledger: one row per request, however it ended, committed before the answer's last byte;
the metrics are read off the same record. What the row keeps follows the route's retention
policy (ledger/retention.py): never prompt or answer text unless it says `store: full`; the
caller's `user` only as a keyed hash unless the operator opted in (`ledger.user`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from switchgear.guards import Decision
from switchgear.ledger.content import AnswerText, recorded, request_json
from switchgear.ledger.retention import DEFAULT_POLICY, RetentionPolicy, policies, user_keeper
from switchgear.ledger.writer import LedgerWriter
from switchgear.metrics import GatewayMetrics
from switchgear.providers.base import DeltaStream
from switchgear.stages.base import StageBase
from switchgear.stages.context import StageContext
from switchgear.store.base import AdminEvent, AttemptRecord, StoredContent, UsageRecord
from switchgear.trip import Trip, classify

UserKeeper = Callable[[str], str | None]


class LedgerStage(StageBase):
    name = "ledger"
    kinds = None

    def __init__(
        self,
        ledger: LedgerWriter,
        metrics: GatewayMetrics,
        stored_user: UserKeeper,
        retention: dict[str, tuple[RetentionPolicy, UserKeeper]] | None = None,
    ) -> None:
        self.ledger = ledger
        self.metrics = metrics
        self.stored_user = stored_user
        self.retention = retention or {}  # route -> its policy and how it keeps `user`
        self._answers: dict[str, AnswerText] = {}  # request id -> a `full` route's answer

    def _policy(self, trip: Trip) -> tuple[RetentionPolicy, UserKeeper]:
        found = self.retention.get(trip.route or trip.model)
        return found if found is not None else (DEFAULT_POLICY, self.stored_user)

    def wrap(self, trip: Trip, deltas: DeltaStream) -> DeltaStream:
        if self._policy(trip)[0].store != "full":
            return deltas
        answer = self._answers[trip.request_id] = AnswerText()  # each attempt afresh
        return recorded(deltas, answer)

    def finish(self, trip: Trip, outcome: BaseException | None) -> None:
        policy, stored_user = self._policy(trip)
        answer = self._answers.pop(trip.request_id, None)
        status, http_status, code = classify(outcome)
        target = trip.target
        ended = trip.ended if trip.ended is not None else trip.started
        seconds = ended - trip.started
        identity = trip.admission.identity if trip.admission else trip.caller
        served = target.model_id if target else None
        ttft_ms = (trip.first_delta_at - trip.started) * 1000 if trip.first_delta_at else None
        record = UsageRecord(
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
            latency_ms=seconds * 1000,
            ttft_ms=ttft_ms,
            user=stored_user(trip.user) if trip.user else None,
            route=trip.route,
            target=target.label if target else None,
            key_id=identity.key_id if identity else None,
            team=identity.team if identity else None,
            app=identity.app if identity else None,
            cost=trip.cost,
            guard=_guard_json(trip.guard_decisions),
            template=trip.template,
            attempts=tuple(
                AttemptRecord(a.target, a.status, a.http_status, a.error_code, a.latency_ms)
                for a in trip.attempts
            ),
            content=_content(trip, policy, answer),
        )
        trip.recorded = self.ledger.record(record)
        self.metrics.record_trip(
            trip, status, code, seconds, None if ttft_ms is None else ttft_ms / 1000
        )


def _content(
    trip: Trip, policy: RetentionPolicy, answer: AnswerText | None
) -> StoredContent | None:
    """A `full` route's request and answer, once a provider was asked (a request the guards
    refused keeps nothing they refused it for)."""
    expires_at = policy.expires_at(trip.created_at)
    if policy.store != "full" or expires_at is None or trip.target is None:
        return None
    return StoredContent(expires_at, request_json(trip.request), (answer or AnswerText()).as_json())


def _guard_json(decisions: list[Decision]) -> str | None:
    """Entity types, counts, actions and scores only: never a detected value."""
    if not decisions:
        return None
    return json.dumps([d.as_dict() for d in decisions], sort_keys=True, separators=(",", ":"))


def build(context: StageContext) -> LedgerStage:
    mode = context.config.ledger.user

    def stored_user(user: str) -> str | None:
        if mode == "drop":
            return None
        return user if mode == "raw" else context.hash_caller_id(user)

    context.metrics.know_names(_configured_names(context))
    routes = context.config.routes
    retention = {
        name: (policy, user_keeper(policy, mode, context.hash_caller_id))
        for name, policy in policies(routes).items()
    }
    if any(route.retention is not None for route in routes.values()):
        # What an auditor is shown: the policies in force from this start on.
        detail = {name: policy.as_dict() for name, (policy, _) in retention.items()}
        context.ledger.record(
            AdminEvent(time.time(), "config", "retention.policies", "routes", detail)
        )
    return LedgerStage(context.ledger, context.metrics, stored_user, retention)


def _configured_names(context: StageContext) -> list[str]:
    """Every name a request may ask for that the configuration defines: the metrics label
    requests with these and count any other name as `other`."""
    config = context.config
    embedding = config.knowledge.embedding
    return [
        *context.router.names(),
        embedding.served_as,
        embedding.model,
        *config.knowledge.collections,
        *(binding.collection for binding in context.bindings.values()),
        *config.guards.backends(),
    ]
