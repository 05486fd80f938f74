"""Classification routes measured end to end: accuracy and macro-F1 of `method: embedding`
(nearest label by MiniLM cosine similarity) and `method: generate` (the embedded SmolLM2-135M
picks a label under a grammar) on two labelled sets, and the latency of one request.

  commerce  a shop's four intents, generated (commerce.py: the config's examples and the test
            messages' templates written apart); plus off-topic messages, to see how many the
            `threshold` sends to the fallback
  topics    chatterbot-corpus's English lines by category (topics.py), few-shot: 5 lines per
            category as its examples, the rest as the test set; nobody here wrote them

A real `switchgear serve` over loopback HTTP, one input per request, one request at a time
(latency is the client's wall time per request). The generate method runs on at most
--generate-limit messages per set (the first of each label, in turn): a 135M model on two
shared cores takes about a second per answer.

    .venv/bin/python bench/classify/run.py [--generate-limit 80] [--threshold 0.3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.classify import commerce, topics  # noqa: E402
from bench.classify.commerce import Message  # noqa: E402
from tests.gateway_process import GatewayProcess  # noqa: E402


def config(commerce_labels: dict[str, Any], topic_labels: dict[str, Any]) -> dict[str, Any]:
    routes: dict[str, Any] = {}
    for name, labels in (("commerce", commerce_labels), ("topics", topic_labels)):
        for method in ("embedding", "generate"):
            classify = {"method": method, "labels": labels}
            routes[f"{name}-{method}"] = {"targets": ["default"], "classify": classify}
    return {"routes": routes}


def macro_f1(pairs: list[tuple[str, str | None]], labels: list[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(1 for want, got in pairs if want == label and got == label)
        fp = sum(1 for want, got in pairs if want != label and got == label)
        fn = sum(1 for want, got in pairs if want == label and got != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return statistics.fmean(scores)


def spread(messages: list[Message], limit: int) -> list[Message]:
    """At most `limit` messages, taking each label's next message in turn."""
    by_label: dict[str, list[Message]] = {}
    for message in messages:
        by_label.setdefault(message.label, []).append(message)
    out: list[Message] = []
    while len(out) < limit and any(by_label.values()):
        for queue in by_label.values():
            if queue and len(out) < limit:
                out.append(queue.pop(0))
    return out


def measure(
    http: httpx.Client, route: str, messages: list[Message], labels: list[str]
) -> dict[str, Any]:
    pairs: list[tuple[str, str | None]] = []
    scores: list[float] = []
    seconds: list[float] = []
    http.post("/v1/classifications", json={"model": route, "input": "warm up"}).raise_for_status()
    for message in messages:
        started = time.perf_counter()
        response = http.post("/v1/classifications", json={"model": route, "input": message.text})
        seconds.append(time.perf_counter() - started)
        response.raise_for_status()
        item = response.json()["data"][0]
        pairs.append((message.label, item["label"]))
        scores.append(item["score"])
    in_scope = [(want, got) for want, got in pairs if want in labels]
    return {
        "n": len(in_scope),
        "accuracy": sum(want == got for want, got in in_scope) / len(in_scope),
        "macro_f1": macro_f1(in_scope, labels),
        "p50_ms": statistics.median(seconds) * 1000,
        "p90_ms": statistics.quantiles(seconds, n=10)[-1] * 1000,
        "pairs": pairs,
        "scores": scores,
    }


def batch_ms_per_input(http: httpx.Client, route: str, messages: list[Message]) -> float:
    texts = [m.text for m in messages]
    started = time.perf_counter()
    http.post("/v1/classifications", json={"model": route, "input": texts}).raise_for_status()
    return (time.perf_counter() - started) * 1000 / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generate-limit", type=int, default=80)
    parser.add_argument("--threshold", type=float, default=0.3)
    args = parser.parse_args()
    shop = commerce.messages()
    topic_labels, topic_messages = topics.few_shot()
    sets = {
        "commerce": (list(commerce.LABELS), shop),
        "topics": (list(topic_labels), topic_messages),
    }
    with tempfile.TemporaryDirectory() as home:
        path = Path(home) / "switchgear.yaml"
        path.write_text(yaml.safe_dump(config(commerce.LABELS, topic_labels)))
        gateway = GatewayProcess(Path(home), path)
        try:
            with httpx.Client(base_url=gateway.base_url, timeout=300) as http:
                report(http, sets, args)
        finally:
            gateway.stop()


def report(http: httpx.Client, sets: dict[str, tuple[list[str], list[Message]]], args: Any) -> None:
    print("| set | method | inputs | accuracy | macro-F1 | p50 / p90 per request |")
    print("|---|---|---|---|---|---|")
    notes = []
    for name, (labels, messages) in sets.items():
        in_scope = [m for m in messages if m.label in labels]
        for method in ("embedding", "generate"):
            chosen = messages if method == "embedding" else spread(in_scope, args.generate_limit)
            result = measure(http, f"{name}-{method}", chosen, labels)
            print(
                f"| {name} ({len(labels)} labels) | {method} | {result['n']} "
                f"| {result['accuracy']:.1%} | {result['macro_f1']:.3f} "
                f"| {result['p50_ms']:.0f} / {result['p90_ms']:.0f} ms |"
            )
            if method == "embedding":
                batch = batch_ms_per_input(http, f"{name}-embedding", in_scope)
                notes.append(f"{name}: one request of {len(in_scope)} inputs, {batch:.1f} ms each")
                notes += threshold_note(name, result, labels, args.threshold)
    print()
    for note in notes:
        print(f"- {note}")


def threshold_note(name: str, result: dict[str, Any], labels: list[str], at: float) -> list[str]:
    """What `threshold: at` would do with the same scores: in-scope messages it keeps (and
    gets right), off-topic ones it sends to the fallback."""
    rows = list(zip(result["pairs"], result["scores"], strict=True))
    kept = [(want, got) for (want, got), score in rows if want in labels and score >= at]
    off = [score for (want, _), score in rows if want not in labels]
    in_scope = sum(1 for (want, _), _ in rows if want in labels)
    line = (
        f"{name}, threshold {at}: keeps {len(kept)}/{in_scope} in-scope messages "
        f"({sum(w == g for w, g in kept)} right)"
    )
    if off:
        line += f", sends {sum(s < at for s in off)}/{len(off)} off-topic ones to the fallback"
    return [line]


if __name__ == "__main__":
    main()
