"""Plain text, Markdown and CSV: headings, paragraphs, tables and code fences as blocks.
Markdown and text may open with YAML front matter (`---`, `key: value` lines, `---`); its
version keys (`knowledge/versions.py`) become the document's metadata and it is not indexed.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import yaml

from switchgear.knowledge.readers import ReadError
from switchgear.knowledge.records import Block, ParsedDocument
from switchgear.knowledge.versions import METADATA_KEYS

_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_SETEXT2 = re.compile(r"^-{3,}$")
_NUMBERED = re.compile(r"^(\d+(\.\d+)*\.?|[A-Z]\.|Section \d+|Chapter \d+)\s+\S")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; binary data is refused."""
    if b"\x00" in data[:8192]:
        raise ReadError("binary data, not text (NUL bytes); check the file's format")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise ReadError("not UTF-8 or Windows-1252 text") from error
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str) -> tuple[dict[str, str | list[str]], str]:
    """The version metadata of a leading YAML block, and the text after it. Other keys
    (author, tags, …) are dropped with the block; a block that is not a YAML mapping is left
    in the text (it may be a rule under a first line of dashes)."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    try:
        loaded: Any = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError:
        return {}, text
    if not isinstance(loaded, dict):
        return {}, text
    metadata: dict[str, str | list[str]] = {}
    for key in METADATA_KEYS:
        value = loaded.get(key)
        if isinstance(value, list):
            metadata[key] = [_scalar(v) for v in value]
        elif value is not None:
            metadata[key] = _scalar(value)
    return metadata, text[match.end() :]


def _scalar(value: object) -> str:
    """YAML reads `2025-01-01` as a date: back to its ISO text, like every other value."""
    return value.isoformat() if isinstance(value, date) else str(value)


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, each with its inner whitespace kept."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def looks_like_heading(text: str) -> bool:
    """A short single line without closing punctuation that is numbered or capitalised."""
    if "\n" in text or len(text) > 80 or len(text) < 3 or text[-1] in ".,;:!?)":
        return False
    words = text.split()
    if _NUMBERED.match(text):
        return len(words) <= 12
    capitalised = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    return len(words) <= 8 and capitalised == len(words)


def read_text(data: bytes, title: str) -> ParsedDocument:
    metadata, text = split_front_matter(decode_text(data))
    blocks = [
        Block("heading", p, level=2) if looks_like_heading(p) else Block("paragraph", p)
        for p in paragraphs(text)
    ]
    return ParsedDocument(title=title, format="text", blocks=blocks, metadata=metadata)


def read_markdown(data: bytes, title: str) -> ParsedDocument:
    metadata, text = split_front_matter(decode_text(data))
    lines = text.split("\n")
    blocks: list[Block] = []
    pending: list[str] = []

    def flush() -> None:
        text = "\n".join(pending).strip()
        pending.clear()
        if text:
            blocks.append(Block("paragraph", _LINK.sub(r"\1", text)))

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            flush()
            end = i + 1
            while end < len(lines) and not lines[end].strip().startswith(fence.group(1)):
                end += 1
            code = "\n".join(lines[i + 1 : end])
            if code.strip():
                blocks.append(Block("code", code))
            i = end + 1
            continue
        heading = _ATX.match(line)
        if heading:
            flush()
            blocks.append(Block("heading", heading.group(2), level=len(heading.group(1))))
            i += 1
            continue
        stripped = line.strip()
        if len(pending) == 1 and stripped and (set(stripped) == {"="} or _SETEXT2.match(stripped)):
            text = pending.pop()
            blocks.append(Block("heading", text.strip(), level=1 if "=" in line else 2))
            i += 1
            continue
        if line.lstrip().startswith("|") and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
            flush()
            rows = [line.strip()]
            end = i + 2
            while end < len(lines) and lines[end].lstrip().startswith("|"):
                rows.append(lines[end].strip())
                end += 1
            blocks.append(_table(rows))
            i = end
            continue
        if not line.strip():
            flush()
        else:
            pending.append(line)
        i += 1
    flush()
    first_h1 = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    return ParsedDocument(
        title=first_h1 or title, format="markdown", blocks=blocks, metadata=metadata
    )


def _table(rows: list[str]) -> Block:
    cells = [" | ".join(c.strip() for c in row.strip().strip("|").split("|")) for row in rows]
    return Block("table", "\n".join(cells), rows=tuple(cells))


def read_csv(data: bytes, title: str) -> ParsedDocument:
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [
            row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)
        ]
    except csv.Error as error:
        raise ReadError(f"malformed CSV: {error}") from error
    if not rows:
        raise ReadError("empty CSV: no rows")
    header, body = rows[0], rows[1:]
    if not body:
        body, header = rows, [f"column {n + 1}" for n in range(len(rows[0]))]
    # Each row as `name: value; …` under the header, so a row alone still says what it means.
    lines = [" | ".join(h.strip() for h in header)]
    for row in body:
        pairs = [
            f"{h.strip()}: {v.strip()}" for h, v in zip(header, row, strict=False) if v.strip()
        ]
        extra = [v.strip() for v in row[len(header) :] if v.strip()]
        lines.append("; ".join(pairs + extra))
    block = Block("table", "\n".join(lines), rows=tuple(lines))
    return ParsedDocument(title=title, format="csv", blocks=[block])
