"""Retrieval quality on the hand-written multilingual set in `bench/knowledge/multilingual/`
(9 languages, versioned policy pairs, cross-language questions, restricted documents),
through the public `Knowledge` API only:

    .venv/bin/python bench/knowledge/multilingual_eval.py \
        [--embedder minilm-l6-v2-int8|multilingual-e5-small-q4] [--split dev|test|all] \
        [--modes bm25,vector,hybrid] [--vector-weight 0.6] [--backend sqlite|postgres] \
        [--versions all] [--json out.json]

Per language (each language's own questions) and for cross-language questions: nDCG@10
(graded 0-3, gain 2^g - 1, judged per document: a passage counts as its document, each
document once, at its best rank; the ideal ranking uses only documents the reader may see),
recall@10 and P@1 (a document of grade >= 2 counts as relevant). Then the current-version-
first rate over the versioned pairs, and permission leaks (any document returned to a reader
its ACL does not admit), before and after the ACL changes listed in acl.json. Postgres takes
its DSN from `$SWITCHGEAR_KNOWLEDGE_POSTGRES_DSN` (or `--dsn-env`) and works in a throwaway
schema; SQLite works in a temporary folder. Nothing is cached between runs.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import msgspec

from switchgear.knowledge.acl import Reader
from switchgear.knowledge.config import KnowledgeConfig
from switchgear.knowledge.service import Knowledge

HERE = Path(__file__).resolve().parent / "multilingual"
CORPUS = HERE / "corpus"
COLLECTION = "multilingual"
K = 10
RELEVANT = 2  # the lowest grade that counts for recall and P@1
# Passages asked for per search: enough to fill ten distinct documents in practice.
PASSAGES = 50
EXTRA_READERS = (Reader(), Reader(team="engineering"))
PRIVATE_DSN_ENV = "SWITCHGEAR_MULTILINGUAL_EVAL_DSN"


@dataclass(frozen=True)
class Query:
    id: str
    lang: str
    kind: str
    split: str
    text: str
    qrels: dict[str, int]
    reader: dict[str, str]
    probe: bool

    @property
    def bucket(self) -> str:
        return "cross" if self.kind == "cross" else self.lang


@dataclass
class Scores:
    ndcg: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    p1: list[float] = field(default_factory=list)

    def mean(self, name: str) -> float | None:
        values: list[float] = getattr(self, name)
        return sum(values) / len(values) if values else None


# -- the labelled set ---------------------------------------------------------------------------


def load_queries(split: str, default_reader: dict[str, str]) -> list[Query]:
    lines = (HERE / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    queries = []
    for raw in map(json.loads, lines):
        if split != "all" and raw["split"] != split:
            continue
        queries.append(
            Query(
                id=raw["id"],
                lang=raw["lang"],
                kind=raw["kind"],
                split=raw["split"],
                text=raw["query"],
                qrels=raw["qrels"],
                reader=raw.get("reader", default_reader),
                probe=bool(raw.get("probe", False)),
            )
        )
    return queries


def reader_of(spec: dict[str, str]) -> Reader:
    return Reader(user=spec.get("user"), team=spec.get("team"), app=spec.get("app"))


def may_read(acl: Sequence[str], reader: Reader) -> bool:
    """The evaluator's own reading of an ACL, independent of the code under test."""
    for entry in acl:
        kind, _, name = entry.partition(":")
        if entry == "public" or (kind, name) in {
            ("team", reader.team),
            ("user", reader.user),
            ("app", reader.app),
        }:
            return True
    return False


# -- metrics -----------------------------------------------------------------------------------


def documents_of(sources: Sequence[str]) -> list[str]:
    """Passages to documents: each document once, at its best rank."""
    return list(dict.fromkeys(sources))


def dcg(grades: Sequence[int]) -> float:
    return sum((2.0**grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(grades))


def score_query(ranked: Sequence[str], visible_qrels: dict[str, int], scores: Scores) -> None:
    top = ranked[:K]
    ideal = dcg(sorted(visible_qrels.values(), reverse=True)[:K])
    scores.ndcg.append(dcg([visible_qrels.get(doc, 0) for doc in top]) / ideal)
    relevant = {doc for doc, grade in visible_qrels.items() if grade >= RELEVANT}
    scores.recall.append(len(relevant & set(top)) / len(relevant))
    scores.p1.append(1.0 if top and visible_qrels.get(top[0], 0) >= RELEVANT else 0.0)


# -- running the code under test --------------------------------------------------------------


@contextmanager
def opened_knowledge(args: argparse.Namespace) -> Iterator[Knowledge]:
    retrieval: dict[str, Any] = {}
    if args.vector_weight is not None:
        retrieval["vector_weight"] = args.vector_weight
    section: dict[str, Any] = {
        "backend": args.backend,
        "embedding": {"model": args.embedder, "threads": args.threads},
        "retrieval": retrieval,
    }
    with tempfile.TemporaryDirectory(prefix="multilingual-eval-") as folder:
        if args.backend == "sqlite":
            section["db_path"] = str(Path(folder) / "knowledge.db")
            config = msgspec.convert(section, KnowledgeConfig, strict=True)
            knowledge = Knowledge.open(config, Path(folder))
            try:
                yield knowledge
            finally:
                knowledge.close()
            return
        with postgres_schema(args.dsn_env) as dsn:
            os.environ[PRIVATE_DSN_ENV] = dsn
            section["postgres_dsn_env"] = PRIVATE_DSN_ENV
            config = msgspec.convert(section, KnowledgeConfig, strict=True)
            knowledge = Knowledge.open(config, Path(folder))
            try:
                yield knowledge
            finally:
                knowledge.close()


@contextmanager
def postgres_schema(dsn_env: str) -> Iterator[str]:
    """A fresh schema on the server in `$dsn_env`, dropped afterwards."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    base = os.environ.get(dsn_env)
    if not base:
        raise SystemExit(f"--backend postgres needs a libpq DSN in ${dsn_env}")
    schema = f"mleval_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield make_conninfo(base, options=f"-c search_path={schema},public")
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def ingest(knowledge: Knowledge, acls: dict[str, list[str]]) -> dict[str, Any]:
    """The whole corpus, one ingest call per distinct ACL, sources relative to corpus/."""
    groups: dict[tuple[str, ...], list[Path]] = {}
    for source, acl in acls.items():
        groups.setdefault(tuple(acl), []).append(CORPUS / source)
    started = time.perf_counter()
    failed: list[str] = []
    truncated = 0
    for group, files in groups.items():
        report = knowledge.ingest(files, COLLECTION, acl=list(group), root=CORPUS)
        failed += [f"{f.source}: {f.error}" for f in report.files if f.status == "failed"]
        truncated += int(getattr(report, "truncated_chunks", 0))
    info = next(c for c in knowledge.collections() if c.name == COLLECTION)
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "documents": info.documents,
        "chunks": info.chunks,
        "truncated_chunks": truncated,
        "failed": failed,
    }


def versions_option(value: str | None) -> dict[str, Any] | None:
    """`{"versions": value}` when `Knowledge.search` takes that argument; None otherwise."""
    if value is None or "versions" not in inspect.signature(Knowledge.search).parameters:
        return None
    return {"versions": value}


class Searcher:
    def __init__(self, knowledge: Knowledge, extra: dict[str, Any] | None) -> None:
        self.knowledge = knowledge
        self.extra = extra or {}
        self.seconds: dict[str, list[float]] = {}

    def documents(self, text: str, reader: Reader, mode: str) -> list[str]:
        started = time.perf_counter()
        passages = self.knowledge.search(
            text,
            COLLECTION,
            reader,
            top_k=PASSAGES,
            mode=mode,  # type: ignore[arg-type]
            **self.extra,
        )
        self.seconds.setdefault(mode, []).append(time.perf_counter() - started)
        return documents_of([p.source for p in passages])


# -- the three measurements ---------------------------------------------------------------------


def quality(
    searcher: Searcher, queries: Sequence[Query], acls: dict[str, list[str]], modes: Sequence[str]
) -> tuple[dict[str, dict[str, Scores]], dict[str, dict[str, list[str]]]]:
    per_mode: dict[str, dict[str, Scores]] = {mode: {} for mode in modes}
    rankings: dict[str, dict[str, list[str]]] = {}
    for query in queries:
        if query.probe:
            continue
        reader = reader_of(query.reader)
        visible = {s: g for s, g in query.qrels.items() if g > 0 and may_read(acls[s], reader)}
        if not any(grade >= RELEVANT for grade in visible.values()):
            continue
        for mode in modes:
            ranked = searcher.documents(query.text, reader, mode)
            rankings.setdefault(query.id, {})[mode] = ranked[:K]
            for bucket in (query.bucket, "all"):
                score_query(ranked, visible, per_mode[mode].setdefault(bucket, Scores()))
    return per_mode, rankings


def version_order(
    searcher: Searcher, queries: Sequence[Query], modes: Sequence[str], reader: Reader
) -> dict[str, dict[str, Any]]:
    """Over every pair's query in versions.json and every `version` question of the split that
    names a pair in its judgments: is the new version ranked above the old one?"""
    pairs = json.loads((HERE / "versions.json").read_text(encoding="utf-8"))["pairs"]
    asked: dict[tuple[str, str], tuple[str, str]] = {}
    for pair in pairs:
        asked[(pair["query"], pair["new"])] = (pair["new"], pair["old"])
        for query in queries:
            if query.kind == "version" and pair["new"] in query.qrels and not query.probe:
                asked[(query.text, pair["new"])] = (pair["new"], pair["old"])
    results: dict[str, dict[str, Any]] = {}
    for mode in modes:
        first = shown_old = missing_new = 0
        misses: list[str] = []
        for (text, _), (new, old) in asked.items():
            top = searcher.documents(text, reader, mode)[:K]
            rank_new = top.index(new) if new in top else None
            rank_old = top.index(old) if old in top else None
            shown_old += rank_old is not None
            missing_new += rank_new is None
            if rank_new is not None and (rank_old is None or rank_new < rank_old):
                first += 1
            else:
                misses.append(f"{text} -> {old if rank_old is not None else 'neither'} first")
        results[mode] = {
            "queries": len(asked),
            "current_first": first / len(asked),
            "old_in_top10": shown_old / len(asked),
            "new_missing": missing_new / len(asked),
            "misses": misses,
        }
    return results


def leaks(
    searcher: Searcher,
    queries: Sequence[Query],
    acls: dict[str, list[str]],
    modes: Sequence[str],
    extra_readers: Sequence[Reader],
) -> dict[str, Any]:
    """Every returned document its reader may not read, over every query (probes included),
    asked as the query's own reader and as each of `extra_readers`."""
    found: list[str] = []
    results = 0
    for query in queries:
        readers = {reader_of(query.reader), *extra_readers}
        for reader in readers:
            for mode in modes:
                returned = searcher.documents(query.text, reader, mode)
                results += len(returned)
                found += [
                    f"{query.id} {mode} {reader}: {doc}"
                    for doc in returned
                    if not may_read(acls.get(doc, []), reader)
                ]
    return {"results_checked": results, "leaks": len(found), "examples": found[:10]}


def change_acls(
    knowledge: Knowledge, searcher: Searcher, acls: dict[str, list[str]], changes: list[Any]
) -> dict[str, Any]:
    """Re-ingests each changed file with its new ACL; then the allowed reader must still find
    it by its own title, and everyone else must not."""
    for change in changes:
        knowledge.ingest([CORPUS / change["source"]], COLLECTION, acl=change["acl"], root=CORPUS)
        acls[change["source"]] = change["acl"]
    still_served = []
    for change in changes:
        text = (CORPUS / change["source"]).read_text(encoding="utf-8")
        title = next(line[2:] for line in text.splitlines() if line.startswith("# "))
        kind, _, name = change["acl"][0].partition(":")
        allowed = reader_of({kind: name})
        still_served.append(change["source"] in searcher.documents(title, allowed, "hybrid")[:K])
    return {"allowed_reader_still_finds_it": all(still_served)}


# -- report -------------------------------------------------------------------------------------


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def markdown(result: dict[str, Any], buckets: Sequence[str]) -> str:
    lines = [
        f"embedder `{result['embedder']}`, split `{result['split']}`, backend "
        f"`{result['backend']}`, vector_weight {result['vector_weight']}, versions "
        f"{result['versions']}; {result['ingest']['documents']} documents, "
        f"{result['ingest']['chunks']} chunks, ingest {result['ingest']['seconds']} s",
        "",
    ]
    counts = result["query_counts"]
    header = "| metric | mode | " + " | ".join(f"{b} ({counts.get(b, 0)})" for b in buckets) + " |"
    lines += [header, "|---" * (len(buckets) + 2) + "|"]
    for metric, label in (("ndcg", "nDCG@10"), ("recall", "recall@10"), ("p1", "P@1")):
        for mode, table in result["quality"].items():
            cells = " | ".join(fmt(table.get(b, {}).get(metric)) for b in buckets)
            lines.append(f"| {label} | {mode} | {cells} |")
    lines += ["", "| mode | current version first | old version in top 10 | new missing |"]
    lines.append("|---|---|---|---|")
    for mode, row in result["versions_order"].items():
        lines.append(
            f"| {mode} | {row['current_first']:.3f} ({row['queries']} queries) | "
            f"{row['old_in_top10']:.3f} | {row['new_missing']:.3f} |"
        )
    before, after = result["leaks_before"], result["leaks_after_acl_change"]
    still_found = result["acl_change"]["allowed_reader_still_finds_it"]
    lines += [
        "",
        f"Permission leaks: {before['leaks']} in {before['results_checked']} results; after the "
        f"ACL changes {after['leaks']} in {after['results_checked']} results (allowed reader "
        f"still finds the changed documents: {still_found}).",
    ]
    for mode, row in result["versions_order"].items():
        lines += [f"- version miss ({mode}): {miss}" for miss in row["misses"]]
    lines += [f"- leak: {leak}" for leak in before["examples"] + after["examples"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--embedder",
        default="minilm-l6-v2-int8",
        choices=["minilm-l6-v2-int8", "multilingual-e5-small-q4"],
    )
    parser.add_argument("--split", default="test", choices=["dev", "test", "all"])
    parser.add_argument("--modes", default="bm25,vector,hybrid")
    parser.add_argument("--vector-weight", type=float, default=None)
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--dsn-env", default="SWITCHGEAR_KNOWLEDGE_POSTGRES_DSN")
    parser.add_argument("--versions", default=None, help="passed to search as `versions=`")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]

    acl_file = json.loads((HERE / "acl.json").read_text(encoding="utf-8"))
    acls: dict[str, list[str]] = dict(acl_file["documents"])
    default_reader: dict[str, str] = acl_file["default_reader"]
    queries = load_queries(args.split, default_reader)
    extra = versions_option(args.versions)
    with opened_knowledge(args) as knowledge:
        ingested = ingest(knowledge, acls)
        searcher = Searcher(knowledge, extra)
        per_mode, rankings = quality(searcher, queries, acls, modes)
        order = version_order(searcher, queries, modes, reader_of(default_reader))
        before = leaks(searcher, queries, acls, modes, EXTRA_READERS)
        changed = change_acls(knowledge, searcher, acls, acl_file["changes"])
        readers_after = (*EXTRA_READERS, Reader(team="hr"), Reader(team="finance"))
        after = leaks(searcher, queries, acls, modes, readers_after)
    buckets = ["en", "de", "es", "fr", "ja", "zh", "ar", "pt", "ko", "cross", "all"]
    any_mode = next(iter(per_mode.values()))
    result: dict[str, Any] = {
        "embedder": args.embedder,
        "split": args.split,
        "backend": args.backend,
        "vector_weight": args.vector_weight if args.vector_weight is not None else "default",
        "versions": args.versions if extra else ("n/a" if args.versions else "default"),
        "ingest": ingested,
        "query_counts": {b: len(s.ndcg) for b, s in any_mode.items()},
        "quality": {
            mode: {b: {m: s.mean(m) for m in ("ndcg", "recall", "p1")} for b, s in table.items()}
            for mode, table in per_mode.items()
        },
        "versions_order": order,
        "leaks_before": before,
        "acl_change": changed,
        "leaks_after_acl_change": after,
        "search_ms": {
            mode: round(1000 * sum(s) / len(s), 1) for mode, s in searcher.seconds.items()
        },
        "rankings": rankings,
    }
    print(markdown(result, buckets))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
