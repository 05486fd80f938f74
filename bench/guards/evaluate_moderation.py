"""The lexicon and the e5 classifier side by side on held-out moderation sets (issue 11).

.venv/bin/python -m bench.guards.evaluate_moderation [--quick]

Public sets, never trained on: HarmBench (text test + val, standard and contextual behaviours
in moderation categories), StrongREJECT (without its AdvBench rows: AdvBench is training data),
the odd half of chatterbot-corpus (benign chat in 28 languages; 30 lines per language).
Hand-written, never trained on: `moderation_hard_cases` (hard benign, violating incl. 20
sexual/minors in eight languages) and the lexicon author's `moderation_cases`.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from bench.guards.moderation_cases import CASES
from bench.guards.moderation_hard_cases import HARD_BENIGN, VIOLATING
from bench.guards.moderation_sources import WHEELS, chatterbot_held_out, harmbench, strongreject
from bench.guards.moderation_train import embed_cached

from switchgear.guards.moderation.base import ModerationResult
from switchgear.guards.moderation.classifier import ClassifierModerator
from switchgear.guards.moderation.local import LocalModerator

Row = tuple[str, set[str]]
EVAL_CACHE = WHEELS / "embeddings-eval.npz"
Classify = Callable[[list[str]], list[ModerationResult]]


def sets() -> dict[str, list[Row]]:
    return {
        "HarmBench (harmful)": harmbench(),
        "StrongREJECT (harmful)": strongreject(),
        "hand-written violating": VIOLATING,
        "chatterbot held-out (benign)": chatterbot_held_out(),
        "hand-written hard benign": [(t, set()) for t in HARD_BENIGN],
        "lexicon author's cases": CASES,
    }


def report(name: str, rows: Sequence[Row], results: Sequence[ModerationResult]) -> None:
    flagged = [bool(r.flagged_categories()) for r in results]
    harmful = [bool(labels) for _, labels in rows]
    pos = sum(harmful)
    neg = len(rows) - pos
    tp = sum(1 for h, f in zip(harmful, flagged, strict=True) if h and f)
    fp = sum(1 for h, f in zip(harmful, flagged, strict=True) if not h and f)
    line = f"| {name} | {len(rows)} |"
    line += f" {tp / pos:.3f} |" if pos else " - |"
    line += f" {fp / neg:.3f} |" if neg else " - |"
    hits = [
        labels <= set(r.flagged_categories()) | {"unsafe"}
        for (_, labels), r in zip(rows, results, strict=True)
        if labels
    ]
    line += f" {sum(hits) / len(hits):.3f} |" if hits else " - |"
    print(line)


def minors_recall(results: Sequence[ModerationResult]) -> float:
    pairs = zip(VIOLATING, results[: len(VIOLATING)], strict=False)
    wanted = [("sexual/minors" in r.flagged_categories()) for (_, lab), r in pairs
              if "sexual/minors" in lab]  # fmt: skip
    return sum(wanted) / len(wanted)


def evaluate(label: str, classify: Classify, data: dict[str, list[Row]]) -> None:
    print(f"\n#### {label}\n")
    print("| set | rows | recall (flagged) | FPR | category recall |\n|---|---:|---:|---:|---:|")
    everything: list[tuple[str, Row, ModerationResult]] = []
    for name, rows in data.items():
        results = classify([text for text, _ in rows])
        report(name, rows, results)
        if name == "hand-written violating":
            print(f"| sexual/minors (hand-written) | 20 | {minors_recall(results):.3f} | - | - |")
        if name != "lexicon author's cases":
            everything += [(name, row, r) for row, r in zip(rows, results, strict=True)]
    public = [(row, r) for name, row, r in everything if "hand-written" not in name]
    report("public held-out sets", [row for row, _ in public], [r for _, r in public])
    report("all held-out sets above", [row for _, row, _ in everything],
           [r for _, _, r in everything])  # fmt: skip


def latency(classify: Classify, texts: list[str], runs: int = 60) -> tuple[float, float]:
    times = []
    for text in texts[:runs]:
        start = time.perf_counter()
        classify([text])
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    data = sets()
    lexicon = LocalModerator()
    # The same model, with vectors cached by text (a rerun after retraining costs nothing).
    cached = ClassifierModerator(embed=lambda texts: embed_cached(texts, EVAL_CACHE))
    evaluate("lexicon (`kind: lexicon`)", lexicon.classify, data)
    evaluate("e5 classifier + lexicon (`kind: classifier`, opt-in)", cached.classify, data)
    if "--quick" in sys.argv:
        return
    rng = random.Random(3)
    sample = [t for rows in data.values() for t, _ in rows]
    rng.shuffle(sample)
    live = ClassifierModerator()
    live.classify(["warm-up"])
    for name, classify in (("lexicon", lexicon.classify), ("classifier", live.classify)):
        p50, p95 = latency(classify, sample)
        mean_chars = statistics.mean(len(t) for t in sample[:60])
        print(f"\n{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms per request "
              f"(60 requests, mean {mean_chars:.0f} chars, 1 thread)")  # fmt: skip


if __name__ == "__main__":
    main()
