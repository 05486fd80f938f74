"""Chooses the hybrid fusion weight per query language on the DEV split of the independent
multilingual set (bench/knowledge/multilingual/, written by someone who never saw the
retrieval code); `multilingual_eval.py --split test` then reports on queries never tuned on.

    .venv/bin/python bench/knowledge/tune_fusion.py [--embedder multilingual-e5-small-q4]
        [--no-merge] [--split dev] [--json out.json]

The corpus is ingested once; for each weight in the grid every query is searched again with
`retrieval.vector_weight` set to it (nothing else changes). Queries are grouped by the language
the gateway itself detects in the question (the fastText detector routes use), since that is
what a per-language weight can key on at run time; cross-language questions fall in their
question's language. Prints nDCG@10 per language and weight, and the best weight of each.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from bench.knowledge.multilingual_eval import (
    COLLECTION,
    HERE,
    PASSAGES,
    RELEVANT,
    Query,
    Scores,
    documents_of,
    ingest,
    load_queries,
    may_read,
    reader_of,
    score_query,
)

from switchgear.knowledge.config import KnowledgeConfig
from switchgear.knowledge.service import Knowledge
from switchgear.routing.language import DETECTOR

GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def tune(
    knowledge: Knowledge, queries: Sequence[Query], acls: dict[str, list[str]]
) -> dict[float, dict[str, Scores]]:
    table: dict[float, dict[str, Scores]] = {}
    for weight in [*GRID, 1.0, 0.0]:
        knowledge.config.retrieval.vector_weight = weight
        per_language = table.setdefault(weight, {})
        for query in queries:
            reader = reader_of(query.reader)
            visible = {s: g for s, g in query.qrels.items() if g > 0 and may_read(acls[s], reader)}
            if query.probe or not any(g >= RELEVANT for g in visible.values()):
                continue
            passages = knowledge.search(query.text, COLLECTION, reader, top_k=PASSAGES,
                                        mode="hybrid")  # fmt: skip
            ranked = documents_of([p.source for p in passages])
            language = DETECTOR.detect(query.text) or "unknown"
            buckets = [language, "all"] + (["cross"] if query.kind == "cross" else [])
            for bucket in buckets:
                score_query(ranked, visible, per_language.setdefault(bucket, Scores()))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedder", default="multilingual-e5-small-q4")
    parser.add_argument("--no-merge", action="store_true", help="chunking.merge_sections: false")
    parser.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    acl_file = json.loads((HERE / "acl.json").read_text(encoding="utf-8"))
    acls: dict[str, list[str]] = dict(acl_file["documents"])
    queries = load_queries(args.split, acl_file["default_reader"])
    with tempfile.TemporaryDirectory(prefix="tune-fusion-") as folder:
        section: dict[str, Any] = {
            "db_path": str(Path(folder) / "knowledge.db"),
            "embedding": {"model": args.embedder},
            "chunking": {"merge_sections": not args.no_merge},
        }
        config = msgspec.convert(section, KnowledgeConfig, strict=True)
        knowledge = Knowledge.open(config, Path(folder))
        try:
            print(ingest(knowledge, acls), flush=True)
            table = tune(knowledge, queries, acls)
        finally:
            knowledge.close()
    weights = sorted(table)
    buckets = sorted({b for row in table.values() for b in row}, key=lambda b: (b == "all", b))
    print("\n| nDCG@10 (queries) | " + " | ".join(f"w={w:g}" for w in weights) + " | best |")
    print("|---|" + "---:|" * (len(weights) + 1))
    best: dict[str, float] = {}
    for bucket in buckets:
        values = {w: table[w][bucket].mean("ndcg") or 0.0 for w in weights if bucket in table[w]}
        # Ties go to the weight nearest the middle of the grid: no extreme without evidence.
        best[bucket] = max(values, key=lambda w: (round(values[w], 4), -abs(w - 0.7)))
        count = len(table[weights[0]][bucket].ndcg)
        cells = " | ".join(f"{values[w]:.3f}" for w in weights)
        print(f"| {bucket} ({count}) | {cells} | {best[bucket]:g} |")
    if args.json:
        numbers = {str(w): {b: s.mean("ndcg") for b, s in row.items()} for w, row in table.items()}
        args.json.write_text(json.dumps({"ndcg": numbers, "best": best}, indent=1))


if __name__ == "__main__":
    main()
