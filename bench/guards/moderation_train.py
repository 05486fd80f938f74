"""Train the moderation head shipped in src/switchgear/guards/moderation/data/.

.venv/bin/python -m bench.guards.moderation_train [--mlp]

One logistic regression per head (`classifier.HEADS`) over multilingual-e5-small embeddings of
the training rows in `moderation_sources` (public sets plus a small hand-written benign set;
nothing the benchmark evaluates on). Each head's threshold is set on out-of-fold predictions:
the lowest at which at most `BENIGN_FPR` of each benign group (chat, topical, hand-written)
scores over it. Heads with too few positives are not trained; the lexicon covers them.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from bench.guards.moderation_sources import GROUPS, WHEELS, training_rows

from switchgear.guards.moderation.classifier import HEAD_FILE, HEADS, PIECE_CHARS
from switchgear.knowledge.embedder_e5 import MultilingualE5

MIN_POSITIVES = 20
BENIGN_FPR = 0.02
FOLDS = 5
L2 = 1e-3
HAND_WRITTEN_WEIGHT = 15.0
HIDDEN = 128  # units of the shared layer with --mlp
CACHE = WHEELS / "embeddings.npz"


def embed_cached(texts: Sequence[str], cache: Path = CACHE) -> np.ndarray:
    """e5 vectors of the first piece of each text, cached by text hash (training is rerun)."""
    keys = [hashlib.sha1(t[:PIECE_CHARS].encode("utf-8")).hexdigest() for t in texts]
    known: dict[str, np.ndarray] = {}
    if cache.exists():
        data = np.load(cache)
        known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    missing = [i for i, k in enumerate(keys) if k not in known]
    if missing:
        e5 = MultilingualE5(threads=2)
        for start in range(0, len(missing), 64):
            batch = missing[start : start + 64]
            vectors = e5.embed([texts[i][:PIECE_CHARS] for i in batch])
            for i, v in zip(batch, vectors, strict=True):
                known[keys[i]] = v
            print(f"embedded {start + len(batch)}/{len(missing)}", flush=True)
        np.savez(cache, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[k] for k in keys]).astype(np.float32)


Params = dict[str, np.ndarray]


def _adam(params: Params, grads: Params, state: dict[str, Params], step: int, lr: float) -> None:
    beta1, beta2 = 0.9, 0.999
    for k, g in grads.items():
        m = state.setdefault("m", {}).setdefault(k, np.zeros_like(g))
        v = state.setdefault("v", {}).setdefault(k, np.zeros_like(g))
        m[...] = beta1 * m + (1 - beta1) * g
        v[...] = beta2 * v + (1 - beta2) * g**2
        params[k] -= lr * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + 1e-8)


def predict(params: Params, x: np.ndarray) -> np.ndarray:
    if "hidden_weights" in params:
        x = np.maximum(0.0, x @ params["hidden_weights"] + params["hidden_bias"])
    return np.asarray(1.0 / (1.0 + np.exp(-(x @ params["weights"] + params["bias"]))))


def fit(
    x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray, hidden: int = 0, epochs: int = 300
) -> Params:
    """Class-balanced, L2-regularised logistic outputs (one per column of `y`), optionally
    over one shared ReLU layer of `hidden` units; full-batch Adam."""
    n, d = x.shape
    pos = np.maximum(1.0, y.sum(axis=0))
    weight = np.where(y > 0, n / (2 * pos), n / (2 * np.maximum(1.0, n - pos)))
    weight = (weight * sample_weight[:, None]).astype(np.float32)
    rng = np.random.default_rng(7)
    width = hidden or d
    params: Params = {"weights": np.zeros((width, y.shape[1]), dtype=np.float32),
                      "bias": np.zeros(y.shape[1], dtype=np.float32)}  # fmt: skip
    if hidden:
        scale = np.sqrt(2.0 / d)
        params["hidden_weights"] = (rng.standard_normal((d, hidden)) * scale).astype(np.float32)
        params["hidden_bias"] = np.zeros(hidden, dtype=np.float32)
        params["weights"] = (rng.standard_normal((hidden, y.shape[1])) * 0.01).astype(np.float32)
    state: dict[str, Params] = {}
    for step in range(1, epochs + 1):
        h = x
        if hidden:
            a = x @ params["hidden_weights"] + params["hidden_bias"]
            h = np.maximum(0.0, a)
        p = 1.0 / (1.0 + np.exp(-(h @ params["weights"] + params["bias"])))
        g = weight * (p - y) / n
        grads = {"weights": h.T @ g + L2 * params["weights"], "bias": g.sum(axis=0)}
        if hidden:
            dh = (g @ params["weights"].T) * (a > 0)
            grads["hidden_weights"] = x.T @ dh + L2 * params["hidden_weights"]
            grads["hidden_bias"] = dh.sum(axis=0)
        _adam(params, grads, state, step, lr=0.01 if hidden else 0.05)
    return params


def out_of_fold(x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray, hidden: int) -> np.ndarray:
    folds = np.arange(len(y)) % FOLDS
    out = np.zeros(y.shape, dtype=np.float32)
    for k in range(FOLDS):
        train, test = folds != k, folds == k
        out[test] = predict(fit(x[train], y[train], sample_weight[train], hidden), x[test])
    return out


def pick_threshold(scores: np.ndarray, groups: np.ndarray) -> float:
    """The lowest threshold keeping every benign group's false positives within BENIGN_FPR."""
    allowed = max(
        float(np.quantile(scores[groups == g], 1.0 - BENIGN_FPR))
        for g in set(groups.tolist()) - {"harmful"}
    )
    return float(min(0.95, max(0.05, allowed + 1e-4)))


def main() -> None:
    rows = training_rows()
    order = np.random.default_rng(11).permutation(len(rows))
    rows = [rows[i] for i in order]
    x = embed_cached([text for text, _, _ in rows])
    groups = np.array([group for _, _, group in rows])
    # The few hand-written rows would be drowned by thousands of chat lines without a weight.
    sample_weight = np.where(groups == "hand-written", HAND_WRITTEN_WEIGHT, 1.0)
    print(f"{len(rows)} training rows: " + ", ".join(
        f"{g} {int((groups == g).sum())}" for g in GROUPS))  # fmt: skip
    heads = [h for h in HEADS if sum(h in labels for _, labels, _ in rows) >= MIN_POSITIVES]
    y = np.array([[h in labels for h in heads] for _, labels, _ in rows], dtype=np.float32)
    hidden = HIDDEN if "--mlp" in sys.argv else 0
    oof = out_of_fold(x, y, sample_weight, hidden)
    params = fit(x, y, sample_weight, hidden)
    thresholds = []
    for k, head in enumerate(heads):
        threshold = pick_threshold(oof[:, k], groups)
        recall = float((oof[y[:, k] > 0, k] >= threshold).mean())
        print(f"{head}: {int(y[:, k].sum())} positives, threshold {threshold:.3f}, "
              f"out-of-fold recall {recall:.3f}")  # fmt: skip
        thresholds.append(threshold)
    print("not trained (too few positives):", ", ".join(h for h in HEADS if h not in heads))
    HEAD_FILE.parent.mkdir(parents=True, exist_ok=True)
    half = {k: v.astype(np.float16) for k, v in params.items() if k.endswith("weights")}
    stored = {**{k: v.astype(np.float32) for k, v in params.items()}, **half}
    np.savez_compressed(
        HEAD_FILE,
        names=np.array(heads),
        thresholds=np.array(thresholds, dtype=np.float32),
        **stored,
    )
    print(f"wrote {HEAD_FILE} ({HEAD_FILE.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
