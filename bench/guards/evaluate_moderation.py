"""Local moderator (lexicon) on the hand-labelled cases in `moderation_cases`.

.venv/bin/python -m bench.guards.evaluate_moderation
"""

from __future__ import annotations

import statistics
import time

from bench.guards.moderation_cases import CASES

from switchgear.guards.config import MODERATION_CATEGORIES
from switchgear.guards.moderation.base import PARENT
from switchgear.guards.moderation.local import LocalModerator


def main() -> None:
    moderator = LocalModerator()
    results = moderator.classify([text for text, _ in CASES])
    # Expected categories include their parents (sexual/minors is also sexual).
    expected = [labels | {PARENT[c] for c in labels if c in PARENT} for _, labels in CASES]
    flagged = [set(r.flagged_categories()) for r in results]
    tp = sum(1 for e, f in zip(expected, flagged, strict=True) if e and f)
    fp = sum(1 for e, f in zip(expected, flagged, strict=True) if not e and f)
    fn = sum(1 for e, f in zip(expected, flagged, strict=True) if e and not f)
    print(f"{len(CASES)} cases ({sum(1 for e in expected if e)} harmful)\n")
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    print(f"flagged at all: precision {precision:.3f}, recall {recall:.3f}")
    print("\n| category | cases | P | R |\n|---|---:|---:|---:|")
    for c in MODERATION_CATEGORIES:
        ctp = sum(1 for e, f in zip(expected, flagged, strict=True) if c in e and c in f)
        cfp = sum(1 for e, f in zip(expected, flagged, strict=True) if c not in e and c in f)
        n = sum(1 for e in expected if c in e)
        if n or cfp:
            print(f"| {c} | {n} | {ctp / max(1, ctp + cfp):.3f} | {ctp / max(1, n):.3f} |")
    for (text, _), e, f in zip(CASES, expected, flagged, strict=True):
        if e != f:
            print(f"- expected {sorted(e)}, got {sorted(f)}: {text[:70]}")
    long_text = " ".join(text for text, _ in CASES) * 4
    times = []
    for _ in range(50):
        t = time.perf_counter()
        moderator.classify([long_text])
        times.append((time.perf_counter() - t) * 1000)
    print(f"\nlatency for {len(long_text)} chars: p50 {statistics.median(times):.2f} ms")


if __name__ == "__main__":
    main()
