"""A dependency-free progress bar for `switchgear ingest`: pass `ProgressBar()` as `progress`."""

from __future__ import annotations

import sys
from typing import TextIO

from switchgear.knowledge.records import IngestProgress


class ProgressBar:
    """Redraws one line on a terminal; prints one line per failed file either way."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()

    def __call__(self, event: IngestProgress) -> None:
        if event.status == "failed":
            self._line(f"failed: {event.source}")
        if not self.tty:
            return
        filled = self.width * event.done // max(event.total, 1)
        bar = "#" * filled + "." * (self.width - filled)
        name = event.source if len(event.source) <= 40 else "…" + event.source[-39:]
        self.stream.write(f"\r[{bar}] {event.done}/{event.total} {name:<40}")
        if event.done == event.total:
            self.stream.write("\n")
        self.stream.flush()

    def _line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.stream.flush()
