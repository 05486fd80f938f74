"""Check spans.jsonl and benign.jsonl: offsets, types, checksums, coverage; print counts."""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from make_ids import checksum_ok

HERE = Path(__file__).resolve().parent
TYPES = {
    "PERSON",
    "EMAIL",
    "PHONE",
    "ADDRESS",
    "CREDIT_CARD",
    "IBAN",
    "US_SSN",
    "UK_NINO",
    "DE_STEUER_ID",
    "FR_NIR",
    "ES_DNI",
    "IT_CODICE_FISCALE",
    "NL_BSN",
    "PASSPORT",
    "IP_ADDRESS",
    "DATE_OF_BIRTH",
}
LANGS = [
    "en",
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "nl",
    "pl",
    "ar",
    "he",
    "ru",
    "el",
    "hi",
    "zh",
    "ja",
    "ko",
]
NON_LATIN = {"ar", "he", "ru", "el", "hi", "zh", "ja", "ko"}
MIN_SPANS, MIN_NON_LATIN, MIN_LANGS, N_BENIGN = 1000, 40, 14, 500


def load(name: str) -> list[dict]:
    with open(HERE / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def check_spans(rows: list[dict], errors: list[str]) -> tuple[Counter, dict]:
    per_lang: Counter = Counter()
    per_lang_type: dict = defaultdict(Counter)
    for row in rows:
        rid, text = row["id"], row["text"]
        if row["language"] not in LANGS:
            errors.append(f"{rid}: unknown language {row['language']}")
        if "[[" in text or "]]" in text:
            errors.append(f"{rid}: leftover marker")
        prev_end = -1
        for span in sorted(row["spans"], key=lambda s: (s["start"], s["end"])):
            s, e, kind = span["start"], span["end"], span["type"]
            value = text[s:e] if isinstance(s, int) and isinstance(e, int) else ""
            if kind not in TYPES:
                errors.append(f"{rid}: unknown type {kind}")
            if not (0 <= s < e <= len(text)) or not value:
                errors.append(f"{rid}: bad offsets {s}:{e}")
                continue
            if value != value.strip() or value.strip("\u200b") != value:
                errors.append(f"{rid}: span {value!r} has surrounding whitespace")
            if s < prev_end:
                errors.append(f"{rid}: overlapping span at {s}")
            prev_end = e
            if checksum_ok(kind, value) is False:
                errors.append(f"{rid}: {kind} {value!r} fails its checksum")
            per_lang[row["language"]] += 1
            per_lang_type[row["language"]][kind] += 1
    return per_lang, per_lang_type


def main() -> int:
    errors: list[str] = []
    spans, benign = load("spans.jsonl"), load("benign.jsonl")
    ids = [r["id"] for r in spans + benign]
    errors += [f"duplicate id {i}" for i, n in Counter(ids).items() if n > 1]
    per_lang, per_lang_type = check_spans(spans, errors)
    for row in benign:
        if row.get("spans") or "[[" in row["text"] or row["language"] not in LANGS:
            errors.append(f"{row['id']}: benign row malformed")
    total = sum(per_lang.values())
    if total < MIN_SPANS:
        errors.append(f"only {total} spans (< {MIN_SPANS})")
    if len(per_lang) < MIN_LANGS:
        errors.append(f"only {len(per_lang)} languages")
    errors += [
        f"{lang}: {per_lang[lang]} spans (< {MIN_NON_LATIN})"
        for lang in NON_LATIN
        if per_lang[lang] < MIN_NON_LATIN
    ]
    if len(benign) < N_BENIGN:
        errors.append(f"only {len(benign)} benign prompts (< {N_BENIGN})")

    by_type = Counter()
    for c in per_lang_type.values():
        by_type.update(c)
    benign_lang = Counter(r["language"] for r in benign)
    print(f"records: {len(spans)}  spans: {total}  benign: {len(benign)}")
    print("per language (records / spans / benign):")
    for lang in LANGS:
        n_rec = sum(1 for r in spans if r["language"] == lang)
        print(f"  {lang}: {n_rec:3d} / {per_lang[lang]:3d} / {benign_lang[lang]:3d}")
    print("per type:")
    for kind in sorted(TYPES):
        langs = ",".join(sorted(lang for lang in per_lang_type if per_lang_type[lang][kind]))
        print(f"  {kind:18s} {by_type[kind]:4d}  [{langs}]")
    for err in errors:
        print("ERROR", err)
    print("OK" if not errors else f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
