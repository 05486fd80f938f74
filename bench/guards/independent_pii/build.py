"""Turn the hand-written sources in src/ into spans.jsonl and benign.jsonl.

Source lines are one record each. In src/spans_<lang>.txt a PII value is written inline as
`[[TYPE:value]]`; `[[TYPE:@variant/style]]` asks make_ids.py for a checksum-valid value.
Escapes: `⏎` is a line break, `{zwsp}` a zero-width space, `{nbsp}` a no-break space.
Lines starting with `#` and blank lines are ignored. Offsets are computed here, never by hand.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from make_ids import generate

HERE = Path(__file__).resolve().parent
MARKER = re.compile(r"\[\[([A-Z_]+):(.+?)\]\]", re.DOTALL)
ESCAPES = {"⏎": "\n", "{zwsp}": "\u200b", "{nbsp}": "\u00a0"}


def unescape(line: str) -> str:
    for k, v in ESCAPES.items():
        line = line.replace(k, v)
    return line


def source_lines(path: Path) -> list[str]:
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        out.append(unescape(raw.rstrip()))
    return out


def parse_record(rid: str, line: str) -> tuple[str, list[dict[str, object]]]:
    rng = random.Random(rid)
    text, spans, pos = "", [], 0
    for m in MARKER.finditer(line):
        text += line[pos : m.start()]
        kind, value = m.group(1), m.group(2)
        if value.startswith("@"):
            value = generate(kind, value[1:], rng)
        start = len(text)
        text += value
        spans.append({"start": start, "end": len(text), "type": kind})
        pos = m.end()
    text += line[pos:]
    if "[[" in text or "]]" in text:
        raise ValueError(f"{rid}: unbalanced marker in {line!r}")
    return text, spans


def main() -> None:
    spans_out, benign_out = [], []
    for path in sorted((HERE / "src").glob("spans_*.txt")):
        lang = path.stem.split("_", 1)[1]
        for i, line in enumerate(source_lines(path), 1):
            rid = f"{lang}-{i:03d}"
            text, spans = parse_record(rid, line)
            spans_out.append({"id": rid, "language": lang, "text": text, "spans": spans})
    for path in sorted((HERE / "src").glob("benign_*.txt")):
        lang = path.stem.split("_", 1)[1]
        for i, line in enumerate(source_lines(path), 1):
            if MARKER.search(line):
                raise ValueError(f"{path.name}:{i}: marker in a benign prompt")
            benign_out.append({"id": f"{lang}-b{i:03d}", "language": lang, "text": line})
    for name, rows in (("spans.jsonl", spans_out), ("benign.jsonl", benign_out)):
        with open(HERE / name, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    n_spans = sum(len(r["spans"]) for r in spans_out)
    print(f"{len(spans_out)} records, {n_spans} spans, {len(benign_out)} benign prompts")


if __name__ == "__main__":
    main()
