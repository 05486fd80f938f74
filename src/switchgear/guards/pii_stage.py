"""The PII step of a request: scan every text (and the caller identifiers), then block,
rewrite or mark it route-local."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from switchgear.guards.config import PiiPolicy
from switchgear.guards.decision import Decision
from switchgear.guards.entities import Span
from switchgear.guards.errors import GuardTimeout, pii_blocked
from switchgear.guards.pii import PiiDetector
from switchgear.guards.screenable import Screenable
from switchgear.guards.transform import (
    ALLOW,
    BLOCK,
    PSEUDONYMIZE,
    REDACT,
    ROUTE_LOCAL,
    Pseudonyms,
    rewrite_text,
)


@dataclass(slots=True)
class PiiOutcome:
    request: Any  # the same kind as the screened request, rewritten
    decision: Decision
    route_local: bool
    pseudonyms: dict[str, str]  # placeholder -> original, empty when nothing was pseudonymised
    known_values: frozenset[str]  # every value found in the request (the caller's own data)


def hash_caller_id(key: bytes, value: str) -> str:
    """A stable stand-in for a caller identifier: the same user maps to the same value, which
    cannot be turned back into the identifier without the gateway's key."""
    return "u-" + hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:24]


def all_texts(request: Screenable) -> Iterator[str]:
    yield from request.texts()
    yield from request.caller_ids().values()


def policy_is_active(policy: PiiPolicy) -> bool:
    return policy.action != ALLOW or any(a != ALLOW for a in policy.per_entity.values())


def scan_request(
    detector: PiiDetector, request: Screenable, deadline: float | None
) -> tuple[dict[str, list[Span]], bool]:
    """Spans per distinct text (sync, CPU-bound: run in a thread); and whether every text was
    scanned completely (the model budget is per request)."""
    found: dict[str, list[Span]] = {}
    complete = True
    for text in all_texts(request):
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
    request: Screenable,
    found: dict[str, list[Span]],
    latency_ms: float,
    incomplete: bool,
    id_key: bytes,
) -> PiiOutcome:
    counts: dict[str, int] = {}
    for text in all_texts(request):
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

    def rewrite(text: str) -> str:
        return rewrite_text(text, found.get(text, []), actions, pseudonyms)

    if any(a in (REDACT, PSEUDONYMIZE) for a in actions.values()):
        changed = request.map_texts(rewrite)
    ids = request.caller_ids()
    if ids:
        changed = changed.with_caller_ids(
            {name: _caller_id(policy, value, rewrite, id_key) for name, value in ids.items()}
        )
    taken = sorted({a for a in actions.values() if a != ALLOW})
    action = "+".join(taken) if taken else ALLOW
    decision = Decision("pii", action, counts, latency_ms=latency_ms, incomplete=incomplete)
    known = frozenset(text[s.start : s.end] for text, spans in found.items() for s in spans)
    return PiiOutcome(changed, decision, route_local, dict(pseudonyms.originals), known)


def _caller_id(policy: PiiPolicy, value: str, rewrite: Any, id_key: bytes) -> str | None:
    """What the upstream gets for `user`: a keyed hash (default), nothing, or the value with
    the policy's rewriting applied like any other text."""
    if policy.caller_ids == "drop":
        return None
    if policy.caller_ids == "keep":
        return str(rewrite(value))
    return hash_caller_id(id_key, value)
