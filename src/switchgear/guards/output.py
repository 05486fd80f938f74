"""The answer side: restore pseudonyms and screen the answer as it streams.

Text is held back until it has been screened, so nothing flagged reaches the client. When the
policy blocks, the choice ends with `finish_reason="content_filter"` (what OpenAI does) and the
other choices of an `n > 1` answer go on, each screened on its own text; once every choice seen
so far is blocked the answer stops. When it flags, the answer goes on and the decision is
recorded. Logprob tokens are not held: the API edge sends each only once the released text
spells it, so tokens of held or blocked text never go out.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable

from switchgear.guards.decision import Decision
from switchgear.guards.restore import StreamRestorer
from switchgear.schema.generation import FINISH_CONTENT_FILTER, Delta, DeltaStream

# Screens text; returns the flagged categories (empty = fine). Raises on backend failure.
Screen = Callable[[str], Awaitable[list[str]]]
TAIL_CONTEXT = 400  # characters already released that are screened again with new text


@dataclasses.dataclass(slots=True)
class _Choice:
    released: str = ""
    pending: str = ""


async def guard_stream(
    deltas: DeltaStream,
    *,
    restorer: StreamRestorer | None,
    screen: Screen | None,
    block: bool,
    decisions: list[Decision],
    chunk_chars: int = 0,
    on_failure: Callable[[BaseException], bool] | None = None,
) -> DeltaStream:
    """Wrap a provider's deltas. `chunk_chars`: screen once this much text is pending (0 = on
    every delta; use ~200+ for remote moderation backends). `on_failure(error)` returns True to
    let the answer through unscreened (fail open) and False to end it (fail closed)."""
    choices: dict[int, _Choice] = {}
    blocked: set[int] = set()
    flagged: set[str] = set()
    started = time.perf_counter()
    stopped = False
    failed_open: bool | None = None  # None: no backend failure

    async def check(choice: _Choice) -> list[str] | None:
        """Flagged categories; None when the backend failed and the policy fails closed."""
        nonlocal failed_open
        if screen is None or not choice.pending:
            return []
        try:
            return await screen(choice.released[-TAIL_CONTEXT:] + choice.pending)
        except Exception as error:
            failed_open = on_failure(error) if on_failure is not None else False
            return [] if failed_open else None

    def verdict(categories: list[str] | None) -> bool:
        """True when the choice must stop here."""
        if categories is None:
            return True
        flagged.update(categories)
        return bool(categories) and block

    def block_choice(index: int) -> bool:
        """Ends one choice; True when no choice seen so far is left to answer."""
        nonlocal stopped
        stopped = True
        blocked.add(index)
        return blocked >= choices.keys()

    try:
        async for delta in deltas:
            if restorer is not None:
                delta = restorer.restore(delta)
            if delta.index in blocked:
                if delta.usage:  # the choice has ended; the answer's usage still counts
                    yield Delta(usage=delta.usage, index=delta.index)
                continue
            state = choices.setdefault(delta.index, _Choice())
            state.pending += delta.text
            due = delta.finish_reason is not None or len(state.pending) >= chunk_chars
            if not due:
                if delta.tool_calls or delta.usage or delta.logprobs:
                    yield dataclasses.replace(delta, text="")
                continue
            if verdict(await check(state)):
                yield Delta(
                    finish_reason=FINISH_CONTENT_FILTER, index=delta.index, usage=delta.usage
                )
                if block_choice(delta.index):
                    return
                continue
            text = state.pending
            state.released = (state.released + text)[-TAIL_CONTEXT:]
            state.pending = ""
            if text or delta.finish_reason or delta.tool_calls or delta.usage or delta.logprobs:
                yield dataclasses.replace(delta, text=text)
        tail = restorer.flush() if restorer is not None else []
        for delta in tail:
            if delta.index in blocked:
                continue
            if delta.tool_calls:
                yield delta
            else:
                choices.setdefault(delta.index, _Choice()).pending += delta.text
        for index, state in choices.items():
            if state.pending and index not in blocked:
                if verdict(await check(state)):
                    yield Delta(finish_reason=FINISH_CONTENT_FILTER, index=index)
                    if block_choice(index):
                        return
                    continue
                yield Delta(text=state.pending, index=index)
                state.pending = ""
    finally:
        if screen is not None:
            action = "block" if stopped else ("flag" if flagged else "allow")
            decisions.append(
                Decision(
                    "moderation.output",
                    action,
                    categories=tuple(sorted(flagged)),
                    failed=None if failed_open is None else "moderation.output",
                    fail_open=failed_open,
                    latency_ms=(time.perf_counter() - started) * 1000,
                )
            )
