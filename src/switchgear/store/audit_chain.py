"""The audit log's hash chain: each entry commits to the one before it.

Editing an entry changes its hash; deleting or reordering entries breaks the next entry's
`prev_hash` or the sequence. `verify_chain` reports the first place either happens.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from switchgear.store.base import AuditRow


def entry_hash(
    prev_hash: str,
    seq: int,
    created_at: float,
    kind: str,
    actor: str,
    action: str,
    subject: str,
    detail: str,
) -> str:
    # repr(float) round-trips exactly, so the same row always hashes the same.
    material = "\x1f".join(
        [prev_hash, str(seq), repr(float(created_at)), kind, actor, action, subject, detail]
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(slots=True, frozen=True)
class ChainReport:
    entries: int
    ok: bool
    problem: str | None = None


def verify_chain(rows: Iterable[AuditRow]) -> ChainReport:
    """Rows in `seq` order. The first break found is reported with its sequence number."""
    expected_prev = ""
    expected_seq = 1
    count = 0
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            return ChainReport(count, False, f"entry {expected_seq} is missing (found {row.seq})")
        if row.prev_hash != expected_prev:
            return ChainReport(count, False, f"entry {row.seq} does not follow entry {row.seq - 1}")
        recomputed = entry_hash(
            row.prev_hash,
            row.seq,
            row.created_at,
            row.kind,
            row.actor,
            row.action,
            row.subject,
            row.detail,
        )
        if recomputed != row.hash:
            return ChainReport(count, False, f"entry {row.seq} was modified")
        expected_prev = row.hash
        expected_seq += 1
    return ChainReport(count, True)
