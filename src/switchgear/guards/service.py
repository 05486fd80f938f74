"""`Guards`: the one object the pipeline calls, before the provider and around its answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from switchgear.guards.answer_pii import screen_answer_pii
from switchgear.guards.config import GuardPolicyConfig, GuardsConfig
from switchgear.guards.decision import Decision
from switchgear.guards.entities import Span
from switchgear.guards.errors import (
    GuardBlocked,
    GuardInputTooLarge,
    GuardTimeout,
    GuardUnavailable,
    content_flagged,
)
from switchgear.guards.errors import prompt_injection as injection_error
from switchgear.guards.injection import InjectionDetector
from switchgear.guards.moderation.base import (
    BackendFailed,
    ConversationJudge,
    ModerationResult,
    Moderator,
    moderation_inputs,
    moderation_response,
)
from switchgear.guards.output import guard_stream
from switchgear.guards.pii import PiiDetector
from switchgear.guards.pii_stage import apply_policy, policy_is_active, scan_request
from switchgear.guards.restore import StreamRestorer
from switchgear.guards.screenable import Screenable
from switchgear.plugins import registry
from switchgear.schema.errors import InvalidRequest
from switchgear.schema.generation import DeltaStream

# (route, prompt) -> the route's answer text; the pipeline binds it to an internal call.
Judge = Callable[[str, str], Awaitable[str]]


@dataclass(slots=True)
class GuardOutcome:
    request: Any  # what the provider may see (possibly rewritten), of the screened kind
    route_local: bool  # only self-hosted targets may serve it; fail closed if none is healthy
    decisions: list[Decision] = field(default_factory=list)  # grows with output screening
    restorer: StreamRestorer | None = None  # set when pseudonyms must be put back
    policy: str = "off"
    known_values: frozenset[str] = frozenset()  # personal data found in the request

    @property
    def found_personal_data(self) -> bool:
        return any(d.guard == "pii" and d.entities for d in self.decisions)


@dataclass(frozen=True, slots=True)
class RetrievedTextCheck:
    """A score at or over `threshold` is an injection: `drop` it (policy `block`) or flag it."""

    threshold: float
    drop: bool
    score: Callable[[str], float]


class Guards:
    def __init__(
        self, config: GuardsConfig, judge: Judge | None = None, id_key: bytes = b""
    ) -> None:
        self.config = config
        self._judge = judge
        # Keys the hash that stands in for caller identifiers (`user`) upstream.
        self._id_key = id_key
        self._detectors: dict[tuple[Any, ...], PiiDetector] = {}
        self._moderators: dict[str, Moderator] = {}
        self._injection = InjectionDetector()

    # -- set-up ---------------------------------------------------------------------------
    def policy_name(self, route: str | None = None, key: str | None = None) -> str:
        return self.config.policy_for(route, key)

    def policy_of(self, identity: Any, route: str) -> str:
        """The policy for a caller on a route: the key's own, then the config's tables."""
        named: str | None = identity.guard_policy
        return named or self.policy_name(route=route, key=identity.key_id or identity.app)

    def policy(self, name: str) -> GuardPolicyConfig:
        try:
            return self.config.policies[name]
        except KeyError:
            raise InvalidRequest(f"unknown guard policy `{name}`") from None

    def warm_up(self) -> None:
        """Load every model the configured policies use (sync: call it in a thread at start)."""
        for policy in self.config.policies.values():
            if policy_is_active(policy.pii):
                self._detector(policy).load()
            if policy.injection.enabled:
                self._injection.load()

    def _detector(self, policy: GuardPolicyConfig) -> PiiDetector:
        p = policy.pii
        key = (p.enabled_types(), p.threshold, p.use_model, p.model_max_chars)
        detector = self._detectors.get(key)
        if detector is None:
            detector = PiiDetector(
                entities=p.enabled_types(),
                threshold=p.threshold,
                use_model=p.use_model,
                model_threads=self.config.model_threads,
                ner_max_chars=p.model_max_chars,
            )
            self._detectors[key] = detector
        return detector

    def moderator(self, backend: str) -> Moderator:
        found = self._moderators.get(backend)
        if found is None:
            found = self._build_moderator(backend, self.config.backends()[backend])
            self._moderators[backend] = found
        return found

    def _build_moderator(self, name: str, config: Any) -> Moderator:
        kind = registry().moderation.get(config.kind)
        if kind is None:
            raise GuardUnavailable(f"moderation backend kind `{config.kind}` unknown", guard=name)
        judge, route = self._judge, config.route
        complete = None
        if judge is not None and route is not None:

            async def complete(prompt: str) -> str:
                return await judge(route, prompt)

        return kind.build(name, config, complete)

    def retrieved_text_check(self, policy_name: str) -> RetrievedTextCheck | None:
        """How the policy screens text the caller did not write (retrieved documents) for
        injection; None when it does not."""
        if policy_name == "off":
            return None
        policy = self.policy(policy_name)
        if not policy.injection.enabled:
            return None
        detector = self._injection

        def score(text: str) -> float:
            return detector.score(text).score

        return RetrievedTextCheck(
            policy.injection.threshold, policy.injection.action == "block", score
        )

    # -- request side ---------------------------------------------------------------------
    async def screen_request(
        self, request: Screenable, policy_name: str, *, moderate: bool = True
    ) -> GuardOutcome:
        """PII, then injection, then input moderation, over every string of the request.
        Raises `GuardBlocked` (400) or `GuardUnavailable` (503); both carry `.decisions` for
        the ledger. `moderate=False` for the gateway's own judge calls (a judge is not judged).
        """
        policy = self.policy(policy_name)
        outcome = GuardOutcome(request, False, policy=policy_name)
        try:
            if policy_is_active(policy.pii):
                if request.has_opaque_input():
                    raise InvalidRequest(
                        "This route's guard policy screens every prompt for personal data, "
                        "and token-id prompts cannot be screened; send the prompt as text.",
                        param="prompt",
                        code="unscreenable_input",
                    )
                await self._pii(policy, outcome)
            if policy.injection.enabled and moderate:
                await self._check_injection(policy, request, outcome)
            if policy.moderation.backend is not None and policy.moderation.input and moderate:
                await self._moderate_input(policy, outcome)
        except (GuardBlocked, GuardUnavailable, GuardInputTooLarge) as error:
            extra = [d for d in error.decisions if d not in outcome.decisions]
            error.decisions = [*outcome.decisions, *extra]
            raise
        return outcome

    async def _guarded(
        self, guard: str, policy: GuardPolicyConfig, outcome: GuardOutcome, work: Awaitable[Any]
    ) -> tuple[Any, float] | None:
        """Run one guard under the policy's timeout; a crash or timeout fails closed (raises
        guard_unavailable) or open (records it and returns None)."""
        started = time.perf_counter()
        try:
            result = await asyncio.wait_for(work, timeout=policy.timeout_s)
        except (InvalidRequest, GuardUnavailable, GuardInputTooLarge):
            raise
        except (TimeoutError, GuardTimeout, BackendFailed, Exception) as error:
            latency = (time.perf_counter() - started) * 1000
            reason = "timeout" if isinstance(error, TimeoutError) else type(error).__name__
            decision = Decision(guard, "allow" if policy.fail_open else "block",
                                failed=f"{guard}: {reason}", fail_open=policy.fail_open,
                                latency_ms=latency)  # fmt: skip
            outcome.decisions.append(decision)
            if policy.fail_open:
                return None
            raise GuardUnavailable(
                f"The {guard} guard is unavailable ({reason}); the request was not sent.",
                guard=guard,
            ) from error
        return result, (time.perf_counter() - started) * 1000

    async def _pii(self, policy: GuardPolicyConfig, outcome: GuardOutcome) -> None:
        detector = self._detector(policy)
        deadline = time.monotonic() + policy.timeout_s
        work = asyncio.to_thread(scan_request, detector, outcome.request, deadline)
        done = await self._guarded("pii", policy, outcome, work)
        if done is None:
            return
        (found, complete), latency = done
        if not complete and not policy.fail_open:
            decision = Decision("pii", "block", failed="pii: text over model_max_chars",
                                fail_open=False, latency_ms=latency, incomplete=True)  # fmt: skip
            outcome.decisions.append(decision)
            chars = sum(len(t) for t in outcome.request.texts())
            raise GuardInputTooLarge(
                f"The request holds {chars} characters of text; this route's personal-data "
                f"policy screens at most {policy.pii.model_max_chars} (pii.model_max_chars). "
                "Send less text, or ask the operator to raise the limit."
            )
        result = apply_policy(
            policy.pii, outcome.request, found, latency, not complete, self._id_key
        )
        outcome.request = result.request
        outcome.route_local = result.route_local
        outcome.known_values = result.known_values
        outcome.decisions.append(result.decision)
        if result.pseudonyms:
            outcome.restorer = StreamRestorer(result.pseudonyms)

    async def _check_injection(
        self, policy: GuardPolicyConfig, original: Screenable, outcome: GuardOutcome
    ) -> None:
        roles = set(policy.injection.roles)
        texts = [text for role, text in original.turns() if role in roles]
        if not texts:
            return

        def score_all() -> float:
            return max(self._injection.score(t).score for t in texts)

        done = await self._guarded("injection", policy, outcome, asyncio.to_thread(score_all))
        if done is None:
            return
        score, latency = done
        hit = score >= policy.injection.threshold
        action = policy.injection.action if hit else "allow"
        outcome.decisions.append(Decision("injection", action, score=score, latency_ms=latency))
        if hit and action == "block":
            raise injection_error(score)

    async def _moderate_input(self, policy: GuardPolicyConfig, outcome: GuardOutcome) -> None:
        assert policy.moderation.backend is not None
        moderator = self.moderator(policy.moderation.backend)
        turns = list(outcome.request.turns())
        if isinstance(moderator, ConversationJudge):
            said = [("User" if role == "user" else "Agent", text) for role, text in turns
                    if role in ("user", "assistant")]  # fmt: skip
            work: Awaitable[Any] = moderator.judge(said, "User") if said else _no_results()
        else:
            text = "\n".join(text for role, text in turns if role == "user")
            work = _first(moderator.moderate([text]))
        done = await self._guarded("moderation.input", policy, outcome, work)
        if done is None:
            return
        result, latency = done
        self._record_moderation("moderation.input", policy, result, latency, outcome.decisions)

    def _record_moderation(
        self,
        guard: str,
        policy: GuardPolicyConfig,
        result: ModerationResult | None,
        latency: float,
        decisions: list[Decision],
    ) -> list[str]:
        categories = flagged(policy, result)
        action = policy.moderation.action if categories else "allow"
        top = result.top_score() if result is not None else 0.0
        decisions.append(Decision(guard, action, categories=tuple(categories), score=top,
                                  latency_ms=latency))  # fmt: skip
        if categories and action == "block":
            error = content_flagged(categories, "request" if guard.endswith("input") else "answer")
            error.decisions = list(decisions)
            raise error
        return categories

    # -- answer side ----------------------------------------------------------------------
    def guard_answer(self, deltas: DeltaStream, outcome: GuardOutcome) -> DeltaStream:
        """Wrap the provider's deltas: restore pseudonyms, scan for personal data the model
        wrote, screen the output per policy. Decisions are appended to `outcome.decisions`
        when the stream ends."""
        policy = self.policy(outcome.policy)
        mod = policy.moderation
        if outcome.restorer is not None:
            deltas = outcome.restorer.wrap(deltas)
        if policy.pii.output != "off":
            deltas = self._scan_answer_pii(deltas, policy, outcome)
        if mod.backend is not None and mod.output:
            moderator = self.moderator(mod.backend)
            chunk = moderator.stream_chunk_chars

            async def screen(text: str) -> list[str]:
                if isinstance(moderator, ConversationJudge):
                    result = await moderator.judge([("User", "…"), ("Agent", text)], "Agent")
                else:
                    result = (await moderator.moderate([text]))[0]
                return flagged(policy, result)

            async def timed(text: str) -> list[str]:
                return await asyncio.wait_for(screen(text), timeout=policy.timeout_s)

            return guard_stream(
                deltas, restorer=None, screen=timed, block=mod.action == "block",
                decisions=outcome.decisions, chunk_chars=chunk,
                on_failure=lambda _error: policy.fail_open,
            )  # fmt: skip
        return deltas

    def _scan_answer_pii(
        self, deltas: DeltaStream, policy: GuardPolicyConfig, outcome: GuardOutcome
    ) -> DeltaStream:
        detector = self._detector(policy)

        async def scan(text: str) -> list[Span]:
            found = await asyncio.to_thread(detector.scan, text)
            return found.spans

        return screen_answer_pii(
            deltas,
            scan=scan,
            block=policy.pii.output == "block",
            known=outcome.known_values,
            decisions=outcome.decisions,
        )

    # -- POST /v1/moderations -------------------------------------------------------------
    async def moderations(self, body: dict[str, Any]) -> dict[str, Any]:
        """The OpenAI `/v1/moderations` response for a decoded request body."""
        try:
            inputs = moderation_inputs(body.get("input"))
        except ValueError as error:
            raise InvalidRequest(str(error), param="input") from error
        requested = body.get("model")
        backends = self.config.backends()
        name = requested if isinstance(requested, str) and requested in backends else None
        name = name or self.config.moderation_endpoint_backend
        moderator = self.moderator(name)
        try:
            results = await moderator.moderate(inputs)
        except BackendFailed as error:
            raise GuardUnavailable(f"Moderation backend `{name}` failed.", guard=name) from error
        return moderation_response(moderator.model_name, results)


def flagged(policy: GuardPolicyConfig, result: ModerationResult | None) -> list[str]:
    if result is None:
        return []
    wanted = policy.moderation.categories
    threshold = policy.moderation.threshold
    return [
        c
        for c, s in result.scores.items()
        if (not wanted or c in wanted) and (s >= threshold or result.flags.get(c, False))
    ]


async def _first(results: Awaitable[list[ModerationResult]]) -> ModerationResult:
    return (await results)[0]


async def _no_results() -> None:
    return None


__all__ = ["GuardOutcome", "Guards", "Judge"]
