"""The answer side's personal-data scan: values the model writes that were not in the request
(the caller's own values, restored from pseudonyms, are left alone).

Text is held back until scanned. A short tail stays unreleased after each scan so a value split
across deltas (an e-mail address, an IBAN in groups) is seen whole by the next scan.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable

from switchgear.guards.decision import Decision
from switchgear.guards.entities import Span
from switchgear.schema.generation import FINISH_CONTENT_FILTER, Delta, DeltaStream

Scan = Callable[[str], Awaitable[list[Span]]]
SCAN_CHARS = 256  # scan once this much text is pending
HOLD_CHARS = 64  # kept back after a scan: longer than any structured value


@dataclasses.dataclass(slots=True)
class _Pending:
    text: str = ""


async def screen_answer_pii(
    deltas: DeltaStream,
    *,
    scan: Scan,
    block: bool,
    known: frozenset[str],
    decisions: list[Decision],
) -> DeltaStream:
    pending: dict[int, _Pending] = {}
    counts: dict[str, int] = {}
    stopped = False
    started = time.perf_counter()

    async def release(index: int, final: bool) -> str | None:
        """The text that may go out now (redacted), or None when the answer must stop."""
        nonlocal stopped
        state = pending.setdefault(index, _Pending())
        text = state.text
        if not text:
            return ""
        spans = [s for s in await scan(text) if text[s.start : s.end] not in known]
        cut = len(text) if final else max(0, len(text) - HOLD_CHARS)
        for span in spans:
            if span.start < cut < span.end:
                cut = span.start
        settled = [s for s in spans if s.end <= cut]
        if settled and block:
            stopped = True
            for s in settled:
                counts[s.type] = counts.get(s.type, 0) + 1
            return None
        out, last = [], 0
        for span in settled:
            counts[span.type] = counts.get(span.type, 0) + 1
            out += [text[last : span.start], f"[{span.type}]"]
            last = span.end
        out.append(text[last:cut])
        state.text = text[cut:]
        return "".join(out)

    try:
        async for delta in deltas:
            state = pending.setdefault(delta.index, _Pending())
            state.text += delta.text
            final = delta.finish_reason is not None
            if not final and len(state.text) < SCAN_CHARS:
                if delta.tool_calls or delta.usage or delta.logprobs:
                    yield dataclasses.replace(delta, text="")
                continue
            text = await release(delta.index, final)
            if text is None:
                yield Delta(finish_reason=FINISH_CONTENT_FILTER, index=delta.index)
                return
            if text or final or delta.tool_calls or delta.usage:
                yield dataclasses.replace(delta, text=text)
        for index in list(pending):
            text = await release(index, True)
            if text is None:
                yield Delta(finish_reason=FINISH_CONTENT_FILTER, index=index)
                return
            if text:
                yield Delta(text=text, index=index)
    finally:
        action = ("block" if stopped else "redact") if counts else "allow"
        latency = (time.perf_counter() - started) * 1000
        decisions.append(Decision("pii.output", action, dict(counts), latency_ms=latency))
