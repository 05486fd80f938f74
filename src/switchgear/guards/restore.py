"""Putting original values back into an answer that mentions pseudonyms like `<PERSON_1>`,
also when the model's stream splits a placeholder across deltas."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from switchgear.schema.generation import Delta, DeltaStream, ToolCallDelta

PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*_\d{1,6})>")
_MAX_PLACEHOLDER = 40
_PARTIAL = re.compile(r"<[A-Z_0-9]*$")


class TextRestorer:
    """One text stream: `feed` returns what is safe to emit now, `flush` the rest at the end.
    A trailing `<` followed by placeholder characters is held back until it can be decided."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self._mapping = mapping
        self._held = ""

    def restore(self, text: str) -> str:
        return PLACEHOLDER.sub(lambda m: self._mapping.get(m.group(0), m.group(0)), text)

    def feed(self, piece: str) -> str:
        text = self._held + piece
        self._held = ""
        tail = _PARTIAL.search(text, max(0, len(text) - _MAX_PLACEHOLDER))
        if tail is not None:
            self._held = text[tail.start() :]
            text = text[: tail.start()]
        return self.restore(text)

    def flush(self) -> str:
        text, self._held = self._held, ""
        return self.restore(text)


class StreamRestorer:
    """Restores pseudonyms in a stream of `Delta`s: the text of each choice and the arguments of
    each tool call. Everything held back is emitted on the delta that carries `finish_reason`
    (or by `flush` if the stream ends without one)."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = dict(mapping)
        self._text: dict[int, TextRestorer] = {}
        self._args: dict[tuple[int, int], TextRestorer] = {}

    def restore_text(self, text: str) -> str:
        return TextRestorer(self.mapping).restore(text)

    def _stream(self, index: int) -> TextRestorer:
        return self._text.setdefault(index, TextRestorer(self.mapping))

    def restore(self, delta: Delta) -> Delta:
        text = self._stream(delta.index).feed(delta.text) if delta.text else ""
        calls = [
            dataclasses.replace(
                call,
                arguments=self._args.setdefault(
                    (delta.index, call.index), TextRestorer(self.mapping)
                ).feed(call.arguments),
            )
            if call.arguments
            else call
            for call in delta.tool_calls
        ]
        if delta.finish_reason is not None:
            text += self._stream(delta.index).flush()
            # Only this choice's calls: another choice (n > 1) may still be mid-placeholder.
            for (choice, call_index), stream in self._args.items():
                rest = stream.flush() if choice == delta.index else ""
                if rest:
                    calls.append(ToolCallDelta(index=call_index, arguments=rest))
        # Logprob tokens pass unchanged: they spell the placeholder, not the restored value,
        # so the API edge drops them where the text no longer matches (`LogprobGate`).
        return dataclasses.replace(delta, text=text, tool_calls=tuple(calls))

    def flush(self) -> list[Delta]:
        """Deltas for text still held back when a stream ended without a finish reason."""
        out: list[Delta] = []
        for index, stream in self._text.items():
            rest = stream.flush()
            if rest:
                out.append(Delta(text=rest, index=index))
        for (index, call_index), stream in self._args.items():
            rest = stream.flush()
            if rest:
                out.append(
                    Delta(index=index, tool_calls=(ToolCallDelta(call_index, None, None, rest),))
                )
        return out

    async def wrap(self, deltas: DeltaStream) -> DeltaStream:
        async for delta in deltas:
            restored = self.restore(delta)
            if (
                restored.text
                or restored.tool_calls
                or restored.finish_reason
                or restored.usage
                or restored.logprobs
            ):
                yield restored
        for delta in self.flush():
            yield delta
