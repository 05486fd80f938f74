"""The upload of a feed cut into lines as it arrives: NDJSON is one JSON text per line, and a
line is answered as soon as its newline (or the end of the body) arrives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the upload, numbered from 1; `text` is None for a line over the limit
    (its bytes were skipped, not kept)."""

    number: int
    text: bytes | None


async def split_lines(chunks: AsyncIterator[bytes], max_bytes: int) -> AsyncIterator[Line]:
    """Every non-blank line of `chunks` (blank lines keep a feed alive and are skipped, but
    counted). A line longer than `max_bytes` is never held whole: only its number comes out."""
    number = 0
    pending = bytearray()
    oversized = False
    async for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            number += 1
            if not oversized:
                pending += chunk[start:end]
            if oversized or len(pending) > max_bytes:
                yield Line(number, None)
            elif pending.strip():
                yield Line(number, bytes(pending))
            pending.clear()
            oversized = False
            start = end + 1
        if not oversized:
            pending += chunk[start:]
            if len(pending) > max_bytes:  # drop what there is; skip the rest of the line
                pending.clear()
                oversized = True
    if oversized:
        yield Line(number + 1, None)
    elif pending.strip():
        yield Line(number + 1, bytes(pending))
