"""The PII step of a request: scan every text, then block, rewrite or mark it route-local."""

from __future__ import annotations

import time
from dataclasses import dataclass

from switchgear.guards.config import PiiPolicy
from switchgear.guards.decision import Decision
from switchgear.guards.entities import Span
from switchgear.guards.errors import GuardTimeout, pii_blocked
from switchgear.guards.pii import PiiDetector
from switchgear.guards.transform import (
    ALLOW,
    BLOCK,
    PSEUDONYMIZE,
    REDACT,
    ROUTE_LOCAL,
    Pseudonyms,
    map_request,
    request_texts,
    rewrite_text,
)
from switchgear.schema.requests import ChatCompletionRequest


@dataclass(slots=True)
class PiiOutcome:
    request: ChatCompletionRequest
    decision: Decision
    route_local: bool
    pseudonyms: dict[str, str]  # placeholder -> original, empty when nothing was pseudonymised


def policy_is_active(policy: PiiPolicy) -> bool:
    return policy.action != ALLOW or any(a != ALLOW for a in policy.per_entity.values())


def scan_request(
    detector: PiiDetector, request: ChatCompletionRequest, deadline: float | None
) -> tuple[dict[str, list[Span]], bool]:
    """Spans per distinct text (sync, CPU-bound: run in a thread); and whether every text was
    scanned completely (the model budget is per request)."""
    found: dict[str, list[Span]] = {}
    complete = True
    for text in request_texts(request):
        if text in found or not text:
            continue
        scan = detector.scan(text, deadline=deadline)
        found[text] = scan.spans
        complete = complete and scan.complete
        if deadline is not None and time.monotonic() > deadline:
            raise GuardTimeout("PII scan ran past its deadline")
    return found, complete


def apply_policy(
    policy: PiiPolicy,
    request: ChatCompletionRequest,
    found: dict[str, list[Span]],
    latency_ms: float,
    incomplete: bool,
) -> PiiOutcome:
    counts: dict[str, int] = {}
    for text in request_texts(request):
        for span in found.get(text, ()):
            counts[span.type] = counts.get(span.type, 0) + 1
    actions = {t: policy.action_for(t) for t in counts}
    blocked = {t: n for t, n in counts.items() if actions[t] == BLOCK}
    if blocked:
        error = pii_blocked(blocked)
        error.decisions.append(
            Decision("pii", BLOCK, counts, latency_ms=latency_ms, incomplete=incomplete)
        )
        raise error
    route_local = any(a == ROUTE_LOCAL for a in actions.values())
    pseudonyms = Pseudonyms()
    changed = request
    if any(a in (REDACT, PSEUDONYMIZE) for a in actions.values()):
        changed = map_request(
            request, lambda text: rewrite_text(text, found.get(text, []), actions, pseudonyms)
        )
    taken = sorted({a for a in actions.values() if a != ALLOW})
    action = "+".join(taken) if taken else ALLOW
    decision = Decision("pii", action, counts, latency_ms=latency_ms, incomplete=incomplete)
    return PiiOutcome(changed, decision, route_local, dict(pseudonyms.originals))
