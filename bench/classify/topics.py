"""A labelled set nobody here wrote: the English conversations of `chatterbot-corpus` (BSD-3,
a PyPI package of YAML files, installed as a dev dependency), each opening line labelled with
its file's category (ai, coding, emotion, food, money, sports, tech support, ...).

They are topics of chat turns rather than shop intents, and noisy (the same question under two
categories, "conversations" and "greetings" that overlap). Used few-shot: for each category
with enough distinct lines, `shots` of them (seeded) become the label's examples and its
category name the description; the others, up to `cap`, are the test set.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml
from bench.classify.commerce import Message


def corpus_lines() -> dict[str, list[str]]:
    """Each category's distinct opening lines; a line found under two categories is dropped
    (no label could be right for it)."""
    import chatterbot_corpus  # type: ignore[import-untyped]

    root = Path(chatterbot_corpus.__file__).parent / "data" / "english"
    by_category: dict[str, dict[str, str]] = {}
    for path in sorted(root.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        lines = by_category.setdefault(path.stem, {})
        for conversation in data.get("conversations") or []:
            if conversation and isinstance(conversation[0], str) and conversation[0].strip():
                line = conversation[0].strip()
                lines.setdefault(line.lower(), line)
    owners: dict[str, set[str]] = {}
    for category, lines in by_category.items():
        for key in lines:
            owners.setdefault(key, set()).add(category)
    return {
        category: [line for key, line in lines.items() if len(owners[key]) == 1]
        for category, lines in by_category.items()
    }


def few_shot(
    shots: int = 5, cap: int = 30, seed: int = 14, least: int = 10
) -> tuple[dict[str, Any], list[Message]]:
    """(the `labels:` of a classify route, the test messages) for every category with at least
    `least` distinct lines."""
    rng = random.Random(seed)
    labels: dict[str, Any] = {}
    test: list[Message] = []
    for category, lines in sorted(corpus_lines().items()):
        if len(lines) < least:
            continue
        drawn = rng.sample(lines, len(lines))
        labels[category] = {
            "description": category.replace("_", " "),
            "examples": drawn[:shots],
        }
        test += [Message(line, category) for line in drawn[shots : shots + cap]]
    rng.shuffle(test)
    return labels, test
