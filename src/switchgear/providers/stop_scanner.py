"""Finds stop sequences in streamed text without ever emitting part of one.

Text that could be the start of a stop sequence is held back until the next piece decides it.
"""

from __future__ import annotations


class StopScanner:
    def __init__(self, stops: list[str]) -> None:
        self._stops = [s for s in stops if s]
        self._longest = max((len(s) for s in self._stops), default=0)
        self._held = ""
        self.stopped = False
        self.matched: str | None = None  # the stop sequence that ended the text

    def feed(self, text: str) -> str:
        """Returns the text that is safe to emit; sets `stopped` when a stop sequence appears."""
        if not self._stops:
            return text
        buffer = self._held + text
        found = [(i, s) for s in self._stops if (i := buffer.find(s)) >= 0]
        if found:
            cut, self.matched = min(found, key=lambda hit: hit[0])
            self._held = ""
            self.stopped = True
            return buffer[:cut]
        keep = self._unsafe_suffix_length(buffer)
        self._held = buffer[len(buffer) - keep :] if keep else ""
        return buffer[: len(buffer) - keep]

    def flush(self) -> str:
        """The held-back text, once the stream has ended without completing a stop sequence."""
        held, self._held = self._held, ""
        return held

    def _unsafe_suffix_length(self, buffer: str) -> int:
        for length in range(min(self._longest - 1, len(buffer)), 0, -1):
            tail = buffer[-length:]
            if any(stop.startswith(tail) for stop in self._stops):
                return length
        return 0
