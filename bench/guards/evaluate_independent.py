"""PII detection on the independent labelled set (bench/guards/independent_pii/, written by
someone who never saw the detector): recall and precision per language and per type, span
recall with any type and with the right one, values a redaction would let through, false
positives on the PII-free prompts, and latency per 1k tokens.

    .venv/bin/python -m bench.guards.evaluate_independent [--no-model] [--runs 30]

Not a tuning set: the detector's rules were written without reading it (issue 11).
Matching: a detected span counts when it overlaps a labelled span (the set's README advises
overlap, since titles and particles are labelled by convention). "Right type" precision counts
a detection as correct only when it overlaps a labelled span of its own type; "any type"
precision when it overlaps any labelled value (what a redaction cares about).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from switchgear.guards.ner import _load
from switchgear.guards.pii import PiiDetector

DATA = Path(__file__).parent / "independent_pii"
Found = list[tuple[int, int, str]]


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    language: str
    text: str
    spans: tuple[tuple[int, int, str], ...]


def load(name: str) -> list[Record]:
    records = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            spans = tuple((s["start"], s["end"], s["type"]) for s in row.get("spans", ()))
            records.append(Record(row["id"], row["language"], row["text"], spans))
    return records


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@dataclass(slots=True)
class Tally:
    gold: int = 0
    hit_type: int = 0  # labelled values overlapped by a detection of their type
    hit_any: int = 0  # ... by a detection of any type
    verbatim: int = 0  # labelled values no detection touches: they leave as written
    partly: int = 0  # touched but with labelled characters left uncovered
    pred: int = 0
    pred_type_ok: int = 0
    pred_any_ok: int = 0

    def add(self, other: Tally) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def score(record: Record, found: Found) -> tuple[Tally, dict[str, Tally]]:
    total, per_type = Tally(), {}
    for gold in record.spans:
        t = per_type.setdefault(gold[2], Tally())
        touching = [f for f in found if _overlaps(f, gold)]
        covered = sum(1 for i in range(gold[0], gold[1]) if any(a <= i < b for a, b, _ in found))
        for tally in (total, t):
            tally.gold += 1
            tally.hit_type += any(f[2] == gold[2] for f in touching)
            tally.hit_any += bool(touching)
            tally.verbatim += not touching
            tally.partly += bool(touching) and covered < gold[1] - gold[0]
    for f in found:
        t = per_type.setdefault(f[2], Tally())
        type_ok = any(_overlaps(f, g) and f[2] == g[2] for g in record.spans)
        any_ok = any(_overlaps(f, g) for g in record.spans)
        for tally in (total, t):
            tally.pred += 1
            tally.pred_type_ok += type_ok
            tally.pred_any_ok += any_ok
    return total, per_type


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "-"


def table(title: str, rows: dict[str, Tally], benign_fp: Counter[str] | None = None) -> None:
    extra = " | benign FP spans" if benign_fp is not None else ""
    print(f"\n### {title}\n")
    print(f"| | gold | recall (type) | recall (any) | precision (type) | precision (any) "
          f"| verbatim | partly{extra} |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if extra else ""))
    for name, t in rows.items():
        fp = f" | {benign_fp.get(name, 0)}" if benign_fp is not None else ""
        print(f"| {name} | {t.gold} | {_ratio(t.hit_type, t.gold)} | {_ratio(t.hit_any, t.gold)} "
              f"| {_ratio(t.pred_type_ok, t.pred)} | {_ratio(t.pred_any_ok, t.pred)} "
              f"| {t.verbatim} | {t.partly}{fp} |")  # fmt: skip


def detect_with(detector: PiiDetector, text: str) -> Found:
    return [(s.start, s.end, s.type) for s in detector.scan(text).spans]


def latency(detector: PiiDetector, texts: list[str], runs: int) -> tuple[list[float], int]:
    """Milliseconds per 1k tokens over prompts of ~1k tokens, the model's window cache cleared."""
    tokenizer = _load(1).tokenizer
    rng = random.Random(11)
    per_1k, tokens_seen = [], 0
    for _ in range(runs):
        parts: list[str] = []
        while len(tokenizer.encode("\n".join(parts), add_special_tokens=False).ids) < 1000:
            parts.append(rng.choice(texts))
        prompt = "\n".join(parts)
        tokens = len(tokenizer.encode(prompt, add_special_tokens=False).ids)
        if detector.model is not None:
            detector.model._cache.clear()
        start = time.perf_counter()
        detector.scan(prompt)
        per_1k.append((time.perf_counter() - start) * 1000 * 1000 / tokens)
        tokens_seen += tokens
    return per_1k, tokens_seen // max(1, runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-model", action="store_true", help="exact recognisers only")
    parser.add_argument("--runs", type=int, default=30, help="~1k-token prompts for latency")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    spans, benign = load("spans.jsonl"), load("benign.jsonl")
    detector = PiiDetector(use_model=not args.no_model)
    detector.load()

    overall, per_lang, per_type = Tally(), dict[str, Tally](), dict[str, Tally]()
    for record in spans:
        found = detect_with(detector, record.text)
        total, types = score(record, found)
        overall.add(total)
        per_lang.setdefault(record.language, Tally()).add(total)
        for kind, t in types.items():
            per_type.setdefault(kind, Tally()).add(t)
    benign_fp_lang, benign_fp_type, flagged = Counter[str](), Counter[str](), 0
    for record in benign:
        found = detect_with(detector, record.text)
        flagged += bool(found)
        benign_fp_lang[record.language] += len(found)
        benign_fp_type.update(kind for _, _, kind in found)

    print(f"{len(spans)} labelled prompts ({overall.gold} values), {len(benign)} PII-free prompts;"
          f" model {'off' if args.no_model else 'on'}")  # fmt: skip
    table("Per language", dict(sorted(per_lang.items())), benign_fp_lang)
    table("Per type", dict(sorted(per_type.items())), benign_fp_type)
    table("Overall", {"all": overall}, Counter({"all": sum(benign_fp_lang.values())}))
    fp_benign = sum(benign_fp_lang.values())
    print(
        f"\nPII-free prompts with any detection: {flagged}/{len(benign)} "
        f"({flagged / len(benign):.3f}); spans on them: {fp_benign}"
    )
    print(
        f"precision (type) counting benign detections as false: "
        f"{_ratio(overall.pred_type_ok, overall.pred + fp_benign)}"
    )
    print(
        f"values left verbatim: {_ratio(overall.verbatim, overall.gold)}, "
        f"partly uncovered: {_ratio(overall.partly, overall.gold)}"
    )

    times, tokens = latency(detector, [r.text for r in spans + benign], args.runs)
    print(
        f"\nlatency over {len(times)} prompts of ~{tokens} tokens (all languages mixed): "
        f"p50 {statistics.median(times):.1f} ms / 1k tokens, "
        f"p95 {statistics.quantiles(times, n=20)[-1]:.1f} ms / 1k tokens"
    )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
