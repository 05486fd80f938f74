"""ledger: one row per request, however it ended, committed before the answer's last byte;
the metrics are read off the same record. Never prompt or answer text; the caller's `user`
only as a keyed hash unless the operator opted in (`ledger.user`)."""

from __future__ import annotations

import json
from collections.abc import Callable

from switchgear.guards import Decision
from switchgear.ledger.writer import LedgerWriter
from switchgear.metrics import GatewayMetrics
from switchgear.stages.base import StageBase
from switchgear.stages.context import StageContext
from switchgear.store.base import AttemptRecord, UsageRecord
from switchgear.trip import Trip, classify


class LedgerStage(StageBase):
    name = "ledger"
    kinds = None

    def __init__(
        self,
        ledger: LedgerWriter,
        metrics: GatewayMetrics,
        stored_user: Callable[[str], str | None],
    ) -> None:
        self.ledger = ledger
        self.metrics = metrics
        self.stored_user = stored_user

    def finish(self, trip: Trip, outcome: BaseException | None) -> None:
        status, http_status, code = classify(outcome)
        target = trip.target
        ended = trip.ended if trip.ended is not None else trip.started
        seconds = ended - trip.started
        identity = trip.admission.identity if trip.admission else None
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
            user=self.stored_user(trip.user) if trip.user else None,
            route=trip.route,
            target=target.label if target else None,
            key_id=identity.key_id if identity else None,
            team=identity.team if identity else None,
            app=identity.app if identity else None,
            cost=trip.cost,
            guard=_guard_json(trip.guard_decisions),
            attempts=tuple(
                AttemptRecord(a.target, a.status, a.http_status, a.error_code, a.latency_ms)
                for a in trip.attempts
            ),
        )
        trip.recorded = self.ledger.record(record)
        self.metrics.record_trip(
            trip, status, code, seconds, None if ttft_ms is None else ttft_ms / 1000
        )


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
    return LedgerStage(context.ledger, context.metrics, stored_user)


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
