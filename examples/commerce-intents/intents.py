"""Sort customer messages into the shop's intents (`POST /v1/classifications`, plain `httpx`):
three live messages and where each would go, then accuracy on `heldout.jsonl`, 46 labelled
messages written apart from the config's examples (8 of them off-topic: a person's job)."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

import httpx

URL = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080").rstrip("/")
HEADERS = {"authorization": f"Bearer {os.environ.get('SWITCHGEAR_API_KEY', 'unused')}"}
# Where the bot hands each intent; `human_agent` is also the route's fallback.
HANDLERS = {
    "order_status": "tracking lookup",
    "refund": "returns desk",
    "product_question": "catalogue answers",
    "change_address": "order editor",
    "human_agent": "a person",
}


def classify(texts: list[str]) -> list[dict[str, object]]:
    """One request for the whole batch; the answer keeps the input order."""
    response = httpx.post(
        f"{URL}/v1/classifications",
        json={"model": "shop-intents", "input": texts},
        headers=HEADERS,
        timeout=120,
    )
    if response.status_code != 200:
        sys.exit(f"refused {response.status_code}: {response.json()['error']['message']}")
    data: list[dict[str, object]] = response.json()["data"]
    return data


live = [
    "hi, the blender I ordered on friday, any news?",
    "I'd like to change where my order is delivered",
    "can you recommend a good film?",
]
for text, item in zip(live, classify(live), strict=True):
    print(f"{text!r}: {item['label']} ({item['score']:.2f}) -> {HANDLERS[str(item['label'])]}")

rows = [json.loads(line) for line in Path("heldout.jsonl").read_text().splitlines() if line]
answers = classify([row["text"] for row in rows])
got = [str(item["label"]) for item in answers]
right = Counter(
    row["intent"] for row, label in zip(rows, got, strict=True) if row["intent"] == label
)
total = Counter(row["intent"] for row in rows)
print(
    f"held-out accuracy: {sum(right.values())}/{len(rows)} = {sum(right.values()) / len(rows):.3f}"
)
for intent in HANDLERS:
    print(f"  {intent}: {right[intent]}/{total[intent]}")
# What the threshold costs and buys: the nearest label alone (no fallback) on the messages
# meant for an intent, and how many off-topic messages the threshold sends to a person.
in_scope = [
    (row, item) for row, item in zip(rows, answers, strict=True) if not row.get("off_topic")
]
nearest = sum(
    1 for row, item in in_scope if max(item["scores"], key=item["scores"].get) == row["intent"]
)
off_topic = [label for row, label in zip(rows, got, strict=True) if row.get("off_topic")]
print(f"nearest label alone, in-scope: {nearest}/{len(in_scope)}")
print(f"off-topic sent to a person: {off_topic.count('human_agent')}/{len(off_topic)}")
for row, label in zip(rows, got, strict=True):
    if label != row["intent"]:
        print(f"  missed: {row['text']!r} -> {label} (want {row['intent']})")
