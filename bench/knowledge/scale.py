"""Ingest throughput and query latency at 10k and 100k chunks.

    .venv/bin/python bench/knowledge/scale.py [--sizes 10000 100000] [--queries 200]

1. Ingest, end to end (read, chunk, embed, write): a folder of multi-page PDFs through
   `Knowledge.ingest`, reported as pages/s and chunks/s.
2. Scale: embedding 100k passages takes hours on 2 shared cores (~15-30 passages/s), so the
   store is filled with synthetic handbook-like passages whose vectors are *perturbed copies*
   of a smaller set of real embeddings (`--real` of them: base + N(0, 0.05) noise,
   re-normalised). sqlite-vec scans every vector of the partition whatever their values, and
   BM25 runs over the real synthetic text, so latency is representative; retrieval quality at
   this scale is not measured. Passages carry four different ACLs and the queries run as a
   reader who may see half of them, so the permission filter is in every query.
3. Queries: handbook questions, each embedded for real. Reported: p50/p95 of the full hybrid
   search (query embedding + BM25 + KNN + fusion + passage fetch) and of each store query.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from bench.knowledge.handbook import generate, synthetic_chunks
from tests.knowledge.make_docs import pdf_bytes, write

from switchgear.knowledge.acl import Acl, Reader
from switchgear.knowledge.chunker import chunk_document
from switchgear.knowledge.config import KnowledgeConfig
from switchgear.knowledge.embedder import MiniLmOnnx
from switchgear.knowledge.readers import read_document
from switchgear.knowledge.records import ChunkDraft
from switchgear.knowledge.retrieve import query_terms, search
from switchgear.knowledge.service import Knowledge
from switchgear.knowledge.sqlite_index import SqliteKnowledgeStore
from switchgear.knowledge.store import DocumentWrite

ACLS = [
    Acl.parse(["public"]),
    Acl.parse(["team:eng"]),
    Acl.parse(["team:hr"]),
    Acl.parse(["user:ceo"]),
]
READER = Reader(user="dev1", team="eng")  # sees public + team:eng: half of the passages
CHUNKS_PER_DOC = 100


def ms(values: list[float]) -> str:
    p50, p95 = np.percentile(values, [50, 95]) * 1000
    return f"{p50:.1f} / {p95:.1f}"


def ingest_throughput(embedder: MiniLmOnnx, tmp: Path, pages: int) -> None:
    folder = tmp / "pdfs"
    texts = synthetic_chunks(pages * 2, seed=5)
    for doc in range(pages // 10):
        write(
            folder / f"policy-{doc:03}.pdf",
            pdf_bytes(
                [
                    [f"Section {p}", texts[2 * p], texts[2 * p + 1]]
                    for p in range(doc * 10, doc * 10 + 10)
                ],
                title=f"Policy {doc}",
            ),
        )
    started = time.perf_counter()
    parsed_chunks = 0
    for path in sorted(folder.glob("*.pdf")):
        document = read_document(path.read_bytes(), path.name)
        parsed_chunks += len(chunk_document(document, 1000, 150))
    parse_s = time.perf_counter() - started
    print(
        f"read + chunk only: {pages} PDF pages, {parsed_chunks} chunks in {parse_s:.2f}s = "
        f"{pages / parse_s:.0f} pages/s (the rest of ingest time is embedding and writing)"
    )
    knowledge = Knowledge(KnowledgeConfig(), SqliteKnowledgeStore(tmp / "ingest.db"), embedder)
    report = knowledge.ingest([folder], "pdfs", acl=Acl.public())
    assert report.ok, report.summary()
    chunks = report.chunks_embedded
    print(
        f"ingest: {report.pages} PDF pages, {chunks} chunks in {report.seconds:.1f}s = "
        f"{report.pages / report.seconds:.2f} pages/s, {chunks / report.seconds:.1f} chunks/s "
        f"(embedding threads={embedder.threads})"
    )
    started = time.perf_counter()
    again = knowledge.ingest([folder], "pdfs", acl=Acl.public())
    print(
        f"re-ingest unchanged: {again.count('unchanged')} files in "
        f"{time.perf_counter() - started:.2f}s, {again.chunks_embedded} chunks embedded"
    )
    knowledge.close()


def fill(
    store: SqliteKnowledgeStore, size: int, base: np.ndarray, rng: np.random.Generator
) -> float:
    texts = synthetic_chunks(size, seed=size)
    started = time.perf_counter()
    for start in range(0, size, CHUNKS_PER_DOC):
        batch = texts[start : start + CHUNKS_PER_DOC]
        picked = base[rng.integers(0, len(base), len(batch))]
        vectors = picked + rng.normal(0, 0.05, picked.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        doc = start // CHUNKS_PER_DOC
        store.replace_document(
            DocumentWrite(
                collection="scale",
                source=f"synthetic/doc-{doc:05}.md",
                title=f"Synthetic document {doc}",
                format="markdown",
                content_hash=str(doc),
                fingerprint="bench",
                acl=ACLS[doc % len(ACLS)],
                pages=None,
                size_bytes=sum(len(t) for t in batch),
                chunks=[ChunkDraft(i, t, f"Section {i // 10}", None) for i, t in enumerate(batch)],
                vectors=vectors.astype(np.float32),
            )
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--real", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    embedder = MiniLmOnnx(threads=args.threads)
    embedder.load()
    tmp = Path(tempfile.mkdtemp(prefix="knowledge-scale-"))
    try:
        ingest_throughput(embedder, tmp, args.pages)
        started = time.perf_counter()
        base = embedder.embed(synthetic_chunks(args.real, seed=99))
        print(f"embedded {args.real} real base passages in {time.perf_counter() - started:.1f}s")
        _, questions = generate(7)
        rng = np.random.default_rng(0)
        picked = [questions[i].text for i in rng.permutation(len(questions))[: args.queries]]
        query_vectors = embedder.embed(picked)
        print()
        print(
            "| chunks | fill (chunks/s) | db size | hybrid search p50 / p95 | BM25 query p50 / p95 "
            "| vector KNN p50 / p95 | query embedding p50 |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for size in sorted(args.sizes):
            path = tmp / f"scale-{size}.db"
            store = SqliteKnowledgeStore(path)
            store.bind_model(embedder.model_id, embedder.dimensions)
            store.ensure_collection("scale")
            fill_s = fill(store, size, base, rng)
            text_ms, vector_ms, hybrid_ms, embed_ms = [], [], [], []
            for question, vector in zip(picked, query_vectors, strict=True):
                t0 = time.perf_counter()
                store.search_text("scale", query_terms(question), READER, 50)
                t1 = time.perf_counter()
                store.search_vector("scale", vector, READER, 50)
                t2 = time.perf_counter()
                embedder.embed([question])
                t3 = time.perf_counter()
                found = search(store, embedder, "scale", question, READER, top_k=5)
                t4 = time.perf_counter()
                # Only documents with ACL public (doc % 4 == 0) or team:eng (== 1) come back.
                assert all(int(p.source[-8:-3]) % 4 in (0, 1) for p in found)
                text_ms.append(t1 - t0)
                vector_ms.append(t2 - t1)
                embed_ms.append(t3 - t2)
                hybrid_ms.append(t4 - t3)
            size_mb = sum(f.stat().st_size for f in tmp.glob(f"scale-{size}.db*")) / 2**20
            embed_p50 = np.percentile(embed_ms, 50) * 1000
            print(
                f"| {size:,} | {size / fill_s:,.0f} | {size_mb:.0f} MiB | {ms(hybrid_ms)} ms "
                f"| {ms(text_ms)} ms | {ms(vector_ms)} ms | {embed_p50:.1f} ms |"
            )
            store.close()
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
