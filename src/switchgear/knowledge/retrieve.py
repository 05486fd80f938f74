"""Hybrid retrieval: BM25 and vector search, each permission-filtered in the store, then fused.

Fusion methods, compared on the handbook benchmark (bench/RESULTS.md), where the default was
chosen on one seed and checked on another, with and without superseded-rule hard negatives:
- `minmax` (default): each retriever's scores are scaled to [0, 1] over its own candidates
  and combined as `vector_weight * vec + (1 - vector_weight) * bm25` (a chunk missing from a
  list gets 0 there). Best on average; beat both single retrievers on nDCG@10 in both settings.
- `zscore`: the same with (score - mean) / std; best on the clean handbook alone.
- `rrf`: reciprocal rank fusion, sum of 1 / (rrf_k + rank). It ignores how far apart the
  scores are, so BM25's weak partial matches on paraphrased questions pulled it below vectors
  alone on the clean handbook.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

from switchgear.knowledge.acl import Reader
from switchgear.knowledge.embedder import Embedder
from switchgear.knowledge.grouping import capped_per_document, ranked
from switchgear.knowledge.keywords import query_terms
from switchgear.knowledge.records import Passage
from switchgear.knowledge.store import Hit, KnowledgeStore
from switchgear.knowledge.versions import Versions

Mode = Literal["hybrid", "bm25", "vector"]
Fusion = Literal["minmax", "zscore", "rrf"]


def fuse_rrf(rankings: Sequence[Sequence[Hit]], rrf_k: int) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of several rankings of chunk ids, best first; ties by id."""
    scores: dict[int, float] = {}
    for hits in rankings:
        for hit in hits:
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + 1.0 / (rrf_k + hit.rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def fuse_scores(
    weighted: Sequence[tuple[Sequence[Hit], float]], method: Literal["minmax", "zscore"]
) -> list[tuple[int, float]]:
    """Weighted sum of per-list normalised scores, best first; ties by id."""
    scores: dict[int, float] = {}
    for hits, weight in weighted:
        if not hits:
            continue
        values = [hit.score for hit in hits]
        if method == "minmax":
            low, spread = min(values), max(values) - min(values)
        else:
            low = sum(values) / len(values)
            spread = math.sqrt(sum((v - low) ** 2 for v in values) / len(values))
        for hit in hits:
            # A lone hit, or equal scores, carries no spread: count it as a full match.
            normalised = (hit.score - low) / spread if spread > 1e-12 else 1.0
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + weight * normalised
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def search(
    store: KnowledgeStore,
    embedder: Embedder,
    collection: str,
    query: str,
    reader: Reader,
    *,
    top_k: int = 5,
    candidates: int = 50,
    mode: Mode = "hybrid",
    fusion: Fusion = "minmax",
    vector_weight: float = 0.6,
    rrf_k: int = 60,
    versions: Versions = "current",
    max_per_document: int | None = None,
) -> list[Passage]:
    """The `top_k` passages `reader` may read that best answer `query`, from current versions
    only unless `versions="all"` (then older versions rank below their successors), at most
    `max_per_document` from one document while others match. Blocking: run it in a thread
    from async code (it embeds the query and queries the store)."""
    if not query.strip():
        return []
    pool = max(candidates, top_k)
    # Capping and penalising need every candidate's document, not only the first `top_k`.
    window = top_k if max_per_document is None and versions == "current" else None
    text_hits: list[Hit] = []
    vector_hits: list[Hit] = []
    if mode in ("hybrid", "bm25"):
        text_hits = store.search_text(collection, query_terms(query), reader, pool, versions)
    if mode in ("hybrid", "vector"):
        vector = embedder.embed([query])[0]
        vector_hits = store.search_vector(collection, vector, reader, pool, versions)
    if fusion == "rrf":
        fused = fuse_rrf([text_hits, vector_hits], rrf_k)[:window]
    else:
        # With one retriever in use its normalised score is the score: a lone full match is 1.0.
        text_weight = {"hybrid": 1.0 - vector_weight, "bm25": 1.0, "vector": 0.0}[mode]
        weighted = [(text_hits, text_weight), (vector_hits, 1.0 - text_weight)]
        fused = fuse_scores(weighted, fusion)[:window]
    found = store.passages([chunk_id for chunk_id, _ in fused], reader)
    text_rank = {h.chunk_id: h.rank for h in text_hits}
    vector_rank = {h.chunk_id: h.rank for h in vector_hits}
    scored = [
        replace(
            found[chunk_id],
            score=score,
            bm25_rank=text_rank.get(chunk_id),
            vector_rank=vector_rank.get(chunk_id),
        )
        for chunk_id, score in fused
        if chunk_id in found
    ]
    return capped_per_document(ranked(scored), top_k, max_per_document)
