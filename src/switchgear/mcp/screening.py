"""Tool results (and tool descriptions) pass the caller's guards on their way back.

A tool's server is screened like a provider: its arguments went out through guards.in, and
what it answers is screened like a model's answer (pseudonyms restored, `pii.output`, output
moderation), each string through the same `Guards.guard_answer` the answer stream takes. Since
the caller did not write it, it also passes the injection check when the policy screens tool
text (`injection.roles` holds `tool`): at or over the threshold, `block` withholds the result
(the caller gets an `isError` result saying why) and `flag` passes it on marked in
`_meta["switchgear/guard"]`. The ledger gets one decision per guard, never a value.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from switchgear.guards import Decision, GuardBlocked, GuardOutcome, Guards
from switchgear.guards.service import RetrievedTextCheck
from switchgear.schema.generation import FINISH_CONTENT_FILTER, FINISH_STOP, Delta, DeltaStream
from switchgear.schema.texts import json_strings, map_json

GUARD_META = "switchgear/guard"  # where a flagged result or tool carries the finding
_SEVERITY = ("allow", "flag", "redact", "pseudonymize", "block")


class ResultWithheld(GuardBlocked):
    """The tool ran, but its result may not reach this caller."""


def tool_text_check(guards: Guards, policy_name: str) -> RetrievedTextCheck | None:
    """The injection check for text a tool wrote, when the caller's policy asks for one."""
    check = guards.retrieved_text_check(policy_name)
    if check is None or "tool" not in guards.policy(policy_name).injection.roles:
        return None
    return check


def result_strings(result: dict[str, Any]) -> list[str]:
    """Every text the caller will read: text blocks, embedded text resources, and the strings
    of `structuredContent` (images and audio are not text)."""
    found: list[str] = []
    for block in result.get("content") or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            found.append(block["text"])
        resource = block.get("resource") if block.get("type") == "resource" else None
        if isinstance(resource, dict) and isinstance(resource.get("text"), str):
            found.append(resource["text"])
    found += json_strings(result.get("structuredContent"))
    return [text for text in dict.fromkeys(found) if text]


def map_result(result: dict[str, Any], change: Callable[[str], str]) -> dict[str, Any]:
    out = dict(result)
    blocks = []
    for block in result.get("content") or []:
        if isinstance(block, dict) and block.get("type") == "text" and "text" in block:
            block = {**block, "text": change(block["text"])}
        elif isinstance(block, dict) and block.get("type") == "resource":
            resource = block.get("resource")
            if isinstance(resource, dict) and isinstance(resource.get("text"), str):
                block = {**block, "resource": {**resource, "text": change(resource["text"])}}
        blocks.append(block)
    if "content" in result:
        out["content"] = blocks
    if "structuredContent" in result:
        out["structuredContent"] = map_json(result["structuredContent"], change)
    return out


async def screen_result(
    name: str,
    result: dict[str, Any],
    guards: Guards,
    guarded: GuardOutcome | None,
    check: RetrievedTextCheck | None,
    decisions: list[Decision],
) -> dict[str, Any]:
    """The result as this caller may see it; raises `ResultWithheld` when it may not."""
    texts = result_strings(result)
    if check is not None and texts:
        score = await asyncio.to_thread(lambda: max(check.score(t) for t in texts))
        hit = score >= check.threshold
        action = ("block" if check.drop else "flag") if hit else "allow"
        decisions.append(Decision("injection.tool_result", action, score=score))
        if hit and check.drop:
            raise _withheld(
                f"The result of `{name}` was withheld: it looks like a prompt injection "
                f"(score {score:.2f}).",
                "prompt_injection",
                decisions,
            )
        if hit:
            result = {**result, "_meta": {**(result.get("_meta") or {}), **_flag(score)}}
    if guarded is None or not texts:
        return result
    first = len(decisions)
    screened: dict[str, str] = {}
    for text in texts:
        out, stopped = await _as_answer(guards, guarded, text)
        if stopped:
            _merge(decisions, first)
            blocked_pii = any(d.guard == "pii.output" and d.action == "block" for d in decisions)
            what = "personal data" if blocked_pii else "content"
            raise _withheld(
                f"The result of `{name}` was withheld: it holds {what} this key's guard policy "
                "does not let through.",
                "pii_blocked" if blocked_pii else "content_flagged",
                decisions,
            )
        screened[text] = out
    _merge(decisions, first)
    return map_result(result, lambda text: screened.get(text, text))


def screen_tools(
    tools: list[dict[str, Any]],
    check: RetrievedTextCheck | None,
    scores: dict[str, float],
    decisions: list[Decision],
) -> list[dict[str, Any]]:
    """A listing without the tools whose description looks like an injection (a poisoned tool
    is dropped under `block`, marked under `flag`). `scores` caches each description's score."""
    if check is None:
        return tools
    kept, top, hits = [], 0.0, 0
    for tool in tools:
        text = " ".join(filter(None, (tool.get("title"), tool.get("description"))))
        if text not in scores:
            scores[text] = check.score(text) if text else 0.0
        score = scores[text]
        top = max(top, score)
        if score < check.threshold:
            kept.append(tool)
            continue
        hits += 1
        if not check.drop:
            kept.append({**tool, "_meta": {**(tool.get("_meta") or {}), **_flag(score)}})
    action = ("block" if check.drop else "flag") if hits else "allow"
    decisions.append(Decision("injection.tool_description", action, score=top))
    return kept


def _flag(score: float) -> dict[str, Any]:
    return {GUARD_META: {"injection": {"flagged": True, "score": round(score, 4)}}}


async def _as_answer(guards: Guards, guarded: GuardOutcome, text: str) -> tuple[str, bool]:
    """One text through the answer-side guards, as if a model had written it whole."""

    async def whole() -> DeltaStream:
        yield Delta(text=text)
        yield Delta(finish_reason=FINISH_STOP)

    out, stopped = [], False
    async for delta in guards.guard_answer(whole(), guarded):
        out.append(delta.text)
        stopped = stopped or delta.finish_reason == FINISH_CONTENT_FILTER
    return "".join(out), stopped


def _merge(decisions: list[Decision], first: int) -> None:
    """One decision per guard for the texts screened since `first` (not one per string)."""
    added = decisions[first:]
    del decisions[first:]
    by_guard: dict[str, list[Decision]] = {}
    for decision in added:
        by_guard.setdefault(decision.guard, []).append(decision)
    for guard, group in by_guard.items():
        entities: dict[str, int] = {}
        for decision in group:
            for kind, count in decision.entities.items():
                entities[kind] = entities.get(kind, 0) + count
        scores = [d.score for d in group if d.score is not None]
        decisions.append(
            Decision(
                guard,
                max((d.action for d in group), key=_rank),
                entities,
                tuple(sorted({c for d in group for c in d.categories})),
                score=max(scores) if scores else None,
                failed=next((d.failed for d in group if d.failed), None),
                fail_open=next((d.fail_open for d in group if d.failed), None),
                latency_ms=sum(d.latency_ms for d in group),
            )
        )


def _rank(action: str) -> int:
    return _SEVERITY.index(action) if action in _SEVERITY else len(_SEVERITY)


def _withheld(message: str, code: str, decisions: list[Decision]) -> ResultWithheld:
    error = ResultWithheld(message, code=code, reasons=(code,))
    error.decisions = list(decisions)
    return error
