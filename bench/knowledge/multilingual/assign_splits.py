"""Re-draws the dev/test split of queries.jsonl in place: per stratum (each language's own
questions; cross-language questions as one stratum of their own), a seeded shuffle puts
round(40%) of the queries in `dev` and the rest in `test`. Rerunning gives the same split.

    .venv/bin/python bench/knowledge/multilingual/assign_splits.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SEED = 19
DEV_SHARE = 0.4
QUERIES = Path(__file__).resolve().parent / "queries.jsonl"


def stratum(query: dict[str, object]) -> str:
    return "cross" if query["kind"] == "cross" else str(query["lang"])


def main() -> None:
    queries = [json.loads(line) for line in QUERIES.read_text(encoding="utf-8").splitlines()]
    by_stratum: dict[str, list[dict[str, object]]] = {}
    for query in queries:
        by_stratum.setdefault(stratum(query), []).append(query)
    rng = random.Random(SEED)
    for name in sorted(by_stratum):
        members = sorted(by_stratum[name], key=lambda q: str(q["id"]))
        rng.shuffle(members)
        dev_count = round(len(members) * DEV_SHARE)
        for position, query in enumerate(members):
            query["split"] = "dev" if position < dev_count else "test"
    QUERIES.write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries), encoding="utf-8"
    )
    for name in sorted(by_stratum):
        dev = sum(1 for q in by_stratum[name] if q["split"] == "dev")
        print(f"{name}: {dev} dev, {len(by_stratum[name]) - dev} test")


if __name__ == "__main__":
    main()
