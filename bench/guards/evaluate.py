"""PII benchmark: precision/recall/F1 per entity type and overall on the generated set, and
latency for a ~1k-token prompt, for each detector alone and combined.

    .venv/bin/python -m bench.guards.evaluate [--n 80] [--runs 30]

Matching: a detected span counts when it overlaps a labelled span of the same type. "leak"
is the share of labelled characters not covered by any detected span of any type (what a
redaction would let through).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections import Counter

from bench.guards import detectors
from bench.guards.generate import SEED, Sample, generate

from switchgear.guards.ner import _load


def score(samples: list[Sample], detect: detectors.Detect) -> tuple[dict[str, Counter[str]], float]:
    per: dict[str, Counter[str]] = {}
    leaked = total = 0
    for s in samples:
        found = detect(s.text)
        for start, end, kind in found:
            hit = any(kind == k and start < e and b < end for b, e, k in s.spans)
            per.setdefault(kind, Counter())["tp_pred" if hit else "fp"] += 1
        for b, e, kind in s.spans:
            hit = any(kind == k and start < e and b < end for start, end, k in found)
            per.setdefault(kind, Counter())["tp" if hit else "fn"] += 1
            covered = sum(1 for i in range(b, e) if any(x <= i < y for x, y, _ in found))
            leaked += (e - b) - covered
            total += e - b
    return per, leaked / max(1, total)


def prf(c: Counter[str]) -> tuple[float, float, float]:
    p = c["tp_pred"] / max(1, c["tp_pred"] + c["fp"])
    r = c["tp"] / max(1, c["tp"] + c["fn"])
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def report(name: str, per: dict[str, Counter[str]], leak: float, types: list[str]) -> None:
    print(f"\n### {name}\n\n| type | gold | P | R | F1 |\n|---|---:|---:|---:|---:|")
    overall: Counter[str] = Counter()
    for t in types:
        c = per.get(t, Counter())
        overall.update(c)
        p, r, f = prf(c)
        print(f"| {t} | {c['tp'] + c['fn']} | {p:.3f} | {r:.3f} | {f:.3f} |")
    p, r, f = prf(overall)
    print(f"| **overall** | {overall['tp'] + overall['fn']} | **{p:.3f}** | **{r:.3f}** | "
          f"**{f:.3f}** |\n\nleak (labelled characters left uncovered): {leak:.4f}")  # fmt: skip


def prompts(samples: list[Sample], count: int, tokens: int = 1000) -> list[str]:
    tokenizer = _load(1).tokenizer
    rng = random.Random(SEED)
    out = []
    for _ in range(count):
        parts: list[str] = []
        while len(tokenizer.encode(" ".join(parts), add_special_tokens=False).ids) < tokens:
            parts.append(rng.choice(samples).text)
        out.append(" ".join(parts))
    return out


def latency(
    detect: detectors.Detect, texts: list[str], clear: object = None, warm: bool = False
) -> list[float]:
    times = []
    for text in texts:
        if clear is not None:
            clear._cache.clear()  # type: ignore[attr-defined]
        if warm:
            detect(text)
        t = time.perf_counter()
        detect(text)
        times.append((time.perf_counter() - t) * 1000)
    return times


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=80, help="sentences per language")
    parser.add_argument("--runs", type=int, default=30, help="1k-token prompts for latency")
    parser.add_argument("--no-presidio", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    samples = generate(args.n)
    gold = Counter(k for s in samples for _, _, k in s.spans)
    types = sorted(gold)
    print(f"{len(samples)} sentences, {sum(gold.values())} labelled values, seed {SEED}")

    exact = detectors.exact()
    combined, combined_detector = detectors.combined()
    rampart, rampart_model = detectors.rampart()
    runs: list[tuple[str, detectors.Detect, object]] = [
        ("exact recognisers (regex + checksums), baseline", exact, None),
        ("Rampart model alone (PERSON, ADDRESS)", rampart, rampart_model),
        ("combined: exact + Rampart (shipped default)", combined, combined_detector.model),
    ]
    presidio = None if args.no_presidio else detectors.presidio()
    if presidio is not None:
        runs.append(("Presidio 2.2.366 + spaCy en_core_web_sm 3.8.0, English recognisers",
                     presidio, None))  # fmt: skip
    for name, detect, _ in runs:
        per, leak = score(samples, detect)
        report(name, per, leak, types)

    texts = prompts(samples, args.runs)
    print(f"\n### Latency per ~1k-token prompt ({len(texts)} prompts, "
          f"{sum(map(len, texts)) // len(texts)} chars each)\n")  # fmt: skip
    print("| detector | p50 ms | p95 ms | p50 vs baseline |\n|---|---:|---:|---:|")
    base = None
    for name, detect, model in runs:
        times = latency(detect, texts, model)
        p50 = statistics.median(times)
        base = base or p50
        print(f"| {name} | {p50:.1f} | {pct(times, 95):.1f} | {p50 / base:.1f}x |")
    warm = latency(combined, texts, warm=True)  # each prompt seen before: windows cached
    print(f"| combined, conversation history already seen (window cache) | "
          f"{statistics.median(warm):.1f} | {pct(warm, 95):.1f} | "
          f"{statistics.median(warm) / (base or 1):.1f}x |")  # fmt: skip
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
