"""`Guards`: the one object the pipeline calls, before the provider and around its answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from switchgear.guards.config import GuardPolicyConfig, GuardsConfig, ModerationBackendConfig
from switchgear.guards.decision import Decision
from switchgear.guards.errors import GuardBlocked, GuardTimeout, GuardUnavailable, content_flagged
from switchgear.guards.errors import prompt_injection as injection_error
from switchgear.guards.injection import InjectionDetector
from switchgear.guards.moderation.base import (
    BackendFailed,
    ModerationResult,
    Moderator,
    moderation_inputs,
    moderation_response,
)
from switchgear.guards.moderation.llama_guard import LlamaGuardModerator
from switchgear.guards.moderation.local import LocalModerator
from switchgear.guards.moderation.openai_compat import OpenAICompatModerator
from switchgear.guards.output import guard_stream
from switchgear.guards.pii import PiiDetector
from switchgear.guards.pii_stage import apply_policy, policy_is_active, scan_request
from switchgear.guards.restore import StreamRestorer
from switchgear.schema.errors import InvalidRequest
from switchgear.schema.generation import Delta
from switchgear.schema.requests import ChatCompletionRequest

# (route, prompt) -> the route's answer text; the pipeline binds it to a non-streamed call.
Judge = Callable[[str, str], Awaitable[str]]
LOCAL_MODEL_NAME = "switchgear-lexicon-1"


@dataclass(slots=True)
class GuardOutcome:
    request: ChatCompletionRequest  # what the provider may see (possibly rewritten)
    route_local: bool  # only self-hosted targets may serve it; fail closed if none is healthy
    decisions: list[Decision] = field(default_factory=list)  # grows with output screening
    restorer: StreamRestorer | None = None  # set when pseudonyms must be put back
    policy: str = "off"


@dataclass(frozen=True, slots=True)
class RetrievedTextCheck:
    """A score at or over `threshold` is an injection: `drop` it (policy `block`) or flag it."""

    threshold: float
    drop: bool
    score: Callable[[str], float]


class Guards:
    def __init__(self, config: GuardsConfig, judge: Judge | None = None) -> None:
        self.config = config
        self._judge = judge
        self._detectors: dict[tuple[Any, ...], PiiDetector] = {}
        self._moderators: dict[str, Moderator] = {}
        self._injection = InjectionDetector()

    # -- set-up ---------------------------------------------------------------------------
    def policy_name(self, route: str | None = None, key: str | None = None) -> str:
        return self.config.policy_for(route, key)

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

    def _build_moderator(self, name: str, b: ModerationBackendConfig) -> Moderator:
        if b.kind == "local":
            return LocalModerator()
        if b.kind == "openai_compat":
            assert b.base_url is not None
            return OpenAICompatModerator(
                b.base_url, api_key_env=b.api_key_env, model=b.model, timeout_s=b.timeout_s
            )
        judge, route = self._judge, b.route
        if judge is None or route is None:
            raise GuardUnavailable(f"moderation backend `{name}` has no judge bound", guard=name)

        async def complete(prompt: str) -> str:
            return await judge(route, prompt)

        return LlamaGuardModerator(complete, special_tokens=b.special_tokens)

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
        self, request: ChatCompletionRequest, policy_name: str
    ) -> GuardOutcome:
        """PII, then injection, then input moderation. Raises `GuardBlocked` (400) or
        `GuardUnavailable` (503); both carry `.decisions` for the ledger."""
        policy = self.policy(policy_name)
        outcome = GuardOutcome(request, False, policy=policy_name)
        try:
            if policy_is_active(policy.pii):
                await self._pii(policy, outcome)
            if policy.injection.enabled:
                await self._check_injection(policy, request, outcome)
            if policy.moderation.backend is not None and policy.moderation.input:
                await self._moderate_input(policy, outcome)
        except (GuardBlocked, GuardUnavailable) as error:
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
        except (InvalidRequest, GuardUnavailable):
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
            outcome.decisions.append(
                Decision(
                    "pii",
                    "block",
                    failed="pii: text over model_max_chars",
                    fail_open=False,
                    latency_ms=latency,
                    incomplete=True,
                )
            )
            raise GuardUnavailable(
                "The request is too large for the personal-data model; it was not sent.",
                guard="pii",
            )
        result = apply_policy(policy.pii, outcome.request, found, latency, not complete)
        outcome.request = result.request
        outcome.route_local = result.route_local
        outcome.decisions.append(result.decision)
        if result.pseudonyms:
            outcome.restorer = StreamRestorer(result.pseudonyms)

    async def _check_injection(
        self, policy: GuardPolicyConfig, original: ChatCompletionRequest, outcome: GuardOutcome
    ) -> None:
        roles = set(policy.injection.roles)
        texts = [m.text() for m in original.messages if m.role in roles and m.text()]
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
        messages = outcome.request.messages
        if isinstance(moderator, LlamaGuardModerator):
            turns = [("User" if m.role == "user" else "Agent", m.text()) for m in messages
                     if m.role in ("user", "assistant") and m.text()]  # fmt: skip
            work: Awaitable[Any] = moderator.judge(turns, "User") if turns else _no_results()
        else:
            text = "\n".join(m.text() for m in messages if m.role == "user")
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
    def guard_answer(
        self, deltas: AsyncIterator[Delta], outcome: GuardOutcome
    ) -> AsyncIterator[Delta]:
        """Wrap the provider's deltas: restore pseudonyms, screen the output per policy.
        Decisions are appended to `outcome.decisions` when the stream ends."""
        policy = self.policy(outcome.policy)
        mod = policy.moderation
        screen = None
        chunk = 0
        if mod.backend is not None and mod.output:
            moderator = self.moderator(mod.backend)
            chunk = 0 if isinstance(moderator, LocalModerator) else 400

            async def screen(text: str) -> list[str]:
                if isinstance(moderator, LlamaGuardModerator):
                    result = await moderator.judge([("User", "…"), ("Agent", text)], "Agent")
                else:
                    result = (await moderator.moderate([text]))[0]
                return flagged(policy, result)

            async def timed(text: str) -> list[str]:
                return await asyncio.wait_for(screen(text), timeout=policy.timeout_s)

            return guard_stream(
                deltas, restorer=outcome.restorer, screen=timed, block=mod.action == "block",
                decisions=outcome.decisions, chunk_chars=chunk,
                on_failure=lambda _error: policy.fail_open,
            )  # fmt: skip
        if outcome.restorer is not None:
            return outcome.restorer.wrap(deltas)
        return deltas

    async def screen_answer_text(self, text: str, outcome: GuardOutcome) -> str:
        """For a whole (non-streamed) answer: restore pseudonyms, moderate, raise
        `content_flagged` when the policy blocks. Returns the text to send."""
        if outcome.restorer is not None:
            text = outcome.restorer.restore_text(text)
        policy = self.policy(outcome.policy)
        mod = policy.moderation
        if mod.backend is None or not mod.output:
            return text
        moderator = self.moderator(mod.backend)
        work = _first(moderator.moderate([text]))
        done = await self._guarded("moderation.output", policy, outcome, work)
        if done is not None:
            result, latency = done
            self._record_moderation("moderation.output", policy, result, latency, outcome.decisions)
        return text

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
        kind = backends[name].kind
        model = {"local": LOCAL_MODEL_NAME, "openai_compat": backends[name].model}.get(
            kind, f"llama-guard-3:{backends[name].route}"
        )
        return moderation_response(model, results)


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
