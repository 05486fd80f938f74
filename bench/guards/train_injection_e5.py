"""Train the logistic head over multilingual-e5-small embeddings (numpy only, fixed seed).

    .venv/bin/python -m bench.guards.train_injection_e5 [--cache DIR]

Writes src/switchgear/guards/data/injection_e5_head.npz. Rows: a seeded sample of
`train_injection.training_rows()` (the n-gram model's training rows, held-out texts already
removed), first 4,000 then 6,000 more. Embedding is the slow part (about 150 ms a row here);
`--cache DIR` keeps each 1,000-row chunk's embeddings as DIR/chunkN.npz and reuses them.
Settings (L2 1e-4, input scale 10) were chosen on the S-Labs and neuralchemy validation splits.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np
from bench.guards.train_injection import SEED, training_rows

from switchgear.guards.injection_e5 import HEAD_PATH, MAX_CHARS
from switchgear.knowledge.embedder_e5 import MultilingualE5

FIRST, MORE, CHUNK = 4000, 6000, 1000
L2, SCALE, EPOCHS, LEARNING_RATE = 1e-4, 10.0, 500, 0.5


def sample() -> list[tuple[str, int]]:
    rows = training_rows()
    first = random.Random(SEED).sample(rows, FIRST)
    taken = set(first)
    rest = [r for r in rows if r not in taken]
    return first + random.Random(SEED + 1).sample(rest, MORE)


def embeddings(rows: list[tuple[str, int]], cache: Path | None) -> np.ndarray:
    embedder = MultilingualE5()
    parts = []
    for k, start in enumerate(range(0, len(rows), CHUNK)):
        path = cache / f"chunk{k}.npz" if cache else None
        if path is not None and path.exists():
            parts.append(np.load(path)["X"])
            continue
        x = embedder.embed([t[:MAX_CHARS] for t, _ in rows[start : start + CHUNK]])
        if path is not None:
            np.savez(path, X=x)
        parts.append(x)
        print(f"embedded {start + len(x)} of {len(rows)}", flush=True)
    return np.concatenate(parts)


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Full-batch gradient descent on the L2-regularised logistic loss."""
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(EPOCHS):
        err = 1.0 / (1.0 + np.exp(-(x @ w + b))) - y
        w -= LEARNING_RATE * (x.T @ err / len(y) + L2 * w)
        b -= LEARNING_RATE * float(err.mean())
    return w, b


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
    rows = sample()
    x = embeddings(rows, args.cache) * SCALE
    w, b = fit(x, np.array([label for _, label in rows], dtype=np.float64))
    np.savez_compressed(HEAD_PATH, weights=(w * SCALE).astype(np.float32), bias=np.float64(b))
    print(f"wrote {HEAD_PATH} from {len(rows)} rows")


if __name__ == "__main__":
    main()
