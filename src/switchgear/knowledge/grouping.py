"""After fusion: older versions below current ones, at most N passages per document, and the
results grouped per document for `/v1/search`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from switchgear.knowledge.records import Passage

# A superseded passage's fused score is multiplied by this (`versions: all` only), and it
# never ranks above the best passage of a newer version of its document: fused scores are
# normalised per query (min-max), so two near-identical passages can land far apart.
SUPERSEDED_PENALTY = 0.75


def ranked(passages: Sequence[Passage]) -> list[Passage]:
    """Best first, superseded passages penalised and kept below their group's current
    version (when it is among the results); ties by chunk id, current versions first."""
    current_best: dict[str, float] = {}
    for p in passages:
        if p.version_group and not p.superseded_by:
            current_best[p.version_group] = max(current_best.get(p.version_group, 0.0), p.score)
    scored = []
    for p in passages:
        if p.superseded_by:
            score = p.score * SUPERSEDED_PENALTY
            if p.version_group in current_best:
                score = min(score, current_best[p.version_group])
            p = replace(p, score=score)
        scored.append(p)
    return sorted(scored, key=lambda p: (-p.score, p.superseded_by is not None, p.chunk_id))


def capped_per_document(
    passages: Sequence[Passage], top_k: int, per_document: int | None
) -> list[Passage]:
    """The best `top_k` with at most `per_document` from any one document, so other relevant
    documents get a place; if too few other documents match, the best of the passages held
    back fill the remaining places (a one-document collection still fills `top_k`)."""
    if per_document is None:
        return list(passages[:top_k])
    taken: Counter[str] = Counter()
    chosen: list[Passage] = []
    held_back: list[Passage] = []
    for passage in passages:
        if len(chosen) == top_k:
            break
        if taken[passage.source] < per_document:
            taken[passage.source] += 1
            chosen.append(passage)
        else:
            held_back.append(passage)
    chosen += held_back[: top_k - len(chosen)]
    return sorted(chosen, key=lambda p: (-p.score, p.superseded_by is not None, p.chunk_id))


def documents_of(passages: Sequence[Passage]) -> list[dict[str, Any]]:
    """One entry per document in the order of its best passage (`passages` is ranked): its
    best score and its passages (1-based indexes into the flat `data` list, and chunk ids)."""
    grouped: dict[str, dict[str, Any]] = {}
    for index, passage in enumerate(passages, start=1):
        entry = grouped.setdefault(
            passage.source,
            {
                "source": passage.source,
                "title": passage.title,
                "effective_date": passage.effective_date,
                "superseded_by": passage.superseded_by,
                "score": round(passage.score, 6),
                "passages": [],
                "chunk_ids": [],
            },
        )
        entry["score"] = max(entry["score"], round(passage.score, 6))
        entry["passages"].append(index)
        entry["chunk_ids"].append(passage.chunk_id)
    return list(grouped.values())
