"""The semantic cache on a paraphrase set it was not tuned on (bench/cache/paraphrases.py,
written by a helper who did not see the cache), and the latency of a hit against a miss.

    .venv/bin/python bench/cache/run.py [--threshold T]

1. In-process: cosine similarity of each pair's questions with the built-in embedder (the one
   the cache uses); the threshold is chosen on TUNE (the highest F1 with no more than 1% false
   hits) and reported on TEST.
2. Through a real gateway (`switchgear serve`, a semantic route at that threshold, a fake OpenAI
   upstream): each TEST pair asked in order, each pair in a conversation of its own (a system
   message naming the pair), counting `x-switchgear-cache: hit` on the second question.
3. Latency, one request at a time: a miss and a hit of the same request, on the embedded model
   (SmolLM2 via llama.cpp, 32 tokens) and on the fake upstream; exact and semantic routes.
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
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.cache.paraphrases import TEST, TUNE
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess

from switchgear.knowledge.embedder import create_embedder

Pairs = list[tuple[str, str, bool, str]]
CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: smollm2-135m-instruct, aliases: [default]}}
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
routes:
  semantic: {{targets: [gpt-fake], cache: {{mode: semantic, threshold: {threshold}}}}}
  local-exact: {{targets: [smollm2-135m-instruct], cache: {{mode: exact}}}}
  local-semantic: {{targets: [smollm2-135m-instruct], cache: {{mode: semantic}}}}
  fake-exact: {{targets: [gpt-fake], cache: {{mode: exact}}}}
"""


def similarities(pairs: Pairs) -> np.ndarray[Any, Any]:
    embedder = create_embedder("minilm-l6-v2-int8", 32, 1, 256)
    first = embedder.embed([a for a, _, _, _ in pairs])
    second = embedder.embed([b for _, b, _, _ in pairs])
    return np.sum(first * second, axis=1)


def rates(scores: np.ndarray[Any, Any], labels: list[bool], threshold: float) -> dict[str, float]:
    hit = scores >= threshold
    same = np.array(labels)
    tp, fp = int(np.sum(hit & same)), int(np.sum(hit & ~same))
    recall = tp / max(1, int(np.sum(same)))
    false_hits = fp / max(1, int(np.sum(~same)))
    precision = tp / max(1, tp + fp)
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    return {"hit_rate": recall, "false_hit_rate": false_hits, "precision": precision, "f1": f1}


def choose(scores: np.ndarray[Any, Any], labels: list[bool]) -> float:
    best, chosen = -1.0, 0.95
    for threshold in np.arange(0.70, 0.995, 0.005):
        r = rates(scores, labels, float(threshold))
        if r["false_hit_rate"] <= 0.01 and r["f1"] > best:
            best, chosen = r["f1"], float(threshold)
    return round(chosen, 3)


def ask(base: str, route: str, messages: list[dict[str, str]], **extra: Any) -> httpx.Response:
    body = {"model": route, "messages": messages, "max_tokens": 32, "temperature": 0, **extra}
    return httpx.post(f"{base}/v1/chat/completions", json=body, timeout=300)


def through_gateway(base: str, pairs: Pairs) -> dict[str, float]:
    hits = {True: 0, False: 0}
    counts = {True: 0, False: 0}
    for n, (a, b, same, _) in enumerate(pairs):
        system = {"role": "system", "content": f"Conversation {n}."}
        assert ask(base, "semantic", [system, {"role": "user", "content": a}]).status_code == 200
        second = ask(base, "semantic", [system, {"role": "user", "content": b}])
        counts[same] += 1
        hits[same] += second.headers.get("x-switchgear-cache") == "hit"
    return {"hit_rate": hits[True] / counts[True], "false_hit_rate": hits[False] / counts[False]}


def latency(base: str, route: str, runs: int = 10) -> tuple[float, float]:
    misses, hit_times = [], []
    for n in range(runs):
        messages = [{"role": "user", "content": f"Give me a fun fact about the number {n}."}]
        started = time.perf_counter()
        miss = ask(base, route, messages)
        misses.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        hit = ask(base, route, messages)
        hit_times.append((time.perf_counter() - started) * 1000)
        assert (miss.headers["x-switchgear-cache"], hit.headers["x-switchgear-cache"]) == (
            "miss", "hit"
        )  # fmt: skip
    return statistics.median(misses), statistics.median(hit_times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, default=None)
    args = parser.parse_args()
    tune_scores, test_scores = similarities(TUNE), similarities(TEST)
    tune_labels, test_labels = [p[2] for p in TUNE], [p[2] for p in TEST]
    threshold = args.threshold or choose(tune_scores, tune_labels)
    print(f"pairs: tune {len(TUNE)}, test {len(TEST)}; threshold chosen on tune: {threshold}")
    for name, scores, labels in (
        ("tune", tune_scores, tune_labels),
        ("test", test_scores, test_labels),
    ):
        r = rates(scores, labels, threshold)
        print(f"  {name}: hit rate {r['hit_rate']:.3f}, false-hit rate {r['false_hit_rate']:.3f}, "
              f"precision {r['precision']:.3f}")  # fmt: skip
    languages = sorted({p[3] for p in TEST})
    for language in languages:
        index = [i for i, p in enumerate(TEST) if p[3] == language]
        r = rates(test_scores[index], [test_labels[i] for i in index], threshold)
        print(f"  test {language}: n={len(index)} hit rate {r['hit_rate']:.3f}, "
              f"false-hit rate {r['false_hit_rate']:.3f}")  # fmt: skip
    fake = create_openai_fake(FakeBehaviour(api_key="k"))
    with run_fake(fake) as url, tempfile.TemporaryDirectory() as home:
        config = Path(home) / "switchgear.yaml"
        config.write_text(CONFIG.format(url=url, threshold=threshold))
        gateway = GatewayProcess(Path(home), config, env={"FAKE_KEY": "k"})
        try:
            r = through_gateway(gateway.base_url, TEST)
            print(f"through the gateway, test: hit rate {r['hit_rate']:.3f}, "
                  f"false-hit rate {r['false_hit_rate']:.3f}")  # fmt: skip
            for route in ("fake-exact", "semantic", "local-exact", "local-semantic"):
                miss, hit = latency(gateway.base_url, route)
                print(f"latency {route}: miss p50 {miss:.1f} ms, hit p50 {hit:.1f} ms")
        finally:
            gateway.stop()


if __name__ == "__main__":
    main()
