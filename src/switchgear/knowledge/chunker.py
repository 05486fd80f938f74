"""Structure-aware chunking: a chunk never crosses a page, and never splits a paragraph, table
or code block that fits. Larger ones are split at sentence (paragraph), row (table, header
repeated) or line (code) boundaries. Consecutive chunks of one section share `overlap_chars` of
trailing prose so a sentence cut at a boundary is still found whole.

Small sections are not chunks of their own: a section that fits whole in the room left in the
chunk before it (same page) joins it, after its heading line, so a chunk is up to `max_chars`
of neighbouring text rather than one short paragraph under each heading. The chunk's `section`
names the section it starts in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from switchgear.knowledge.records import Block, ChunkDraft, ParsedDocument

CHUNKER_VERSION = "2"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def chunk_document(
    document: ParsedDocument, max_chars: int, overlap_chars: int, merge_sections: bool = True
) -> list[ChunkDraft]:
    """`merge_sections=False`: every section starts a chunk, as before version 2."""
    drafts: list[ChunkDraft] = []
    previous: str | None = None
    for section, page, blocks in _sections(document.blocks, document.title):
        texts = list(_pack(blocks, max_chars, overlap_chars))
        last = drafts[-1] if drafts else None
        if merge_sections and last is not None and last.page == page and len(texts) == 1:
            parts = (last.text, _heading_line(previous, section), texts[0])
            merged = "\n\n".join(part for part in parts if part)
            if len(merged) <= max_chars:
                drafts[-1] = ChunkDraft(last.ordinal, merged, last.section, page)
                previous = section
                continue
        for text in texts:
            drafts.append(ChunkDraft(len(drafts), text, section, page))
        previous = section
    return drafts


def _heading_line(previous: str | None, section: str | None) -> str:
    """The heading path of `section` from where it leaves `previous`: `Leave > Sick` after
    `Leave > Annual` is `Sick`; after `Travel` it is `Leave > Sick`."""
    before = previous.split(" > ") if previous else []
    path = section.split(" > ") if section else []
    shared = 0
    while shared < min(len(before), len(path) - 1) and before[shared] == path[shared]:
        shared += 1
    return " > ".join(path[shared:])


def _sections(
    blocks: list[Block], title: str
) -> Iterator[tuple[str | None, int | None, list[Block]]]:
    """Runs of body blocks that share a heading path and a page. A first heading that repeats
    the document's title is the title, not a section: citations show the title separately."""
    path: list[tuple[int, str]] = []
    seen_heading = False
    run: list[Block] = []
    run_key: tuple[str | None, int | None] = (None, None)
    for block in blocks:
        if block.kind == "heading":
            if run:
                yield (*run_key, run)
                run = []
            first, seen_heading = not seen_heading, True
            if first and " ".join(block.text.split()) == " ".join(title.split()):
                continue
            level = block.level or 1
            path = [(lvl, text) for lvl, text in path if lvl < level]
            path.append((level, " ".join(block.text.split())))
            continue
        key = (" > ".join(text for _, text in path) or None, block.page)
        if run and key != run_key:
            yield (*run_key, run)
            run = []
        run_key = key
        run.append(block)
    if run:
        yield (*run_key, run)


def _pack(blocks: list[Block], max_chars: int, overlap_chars: int) -> Iterator[str]:
    """Greedy: add whole pieces while they fit; a piece that alone is too long is split first."""
    current: list[str] = []
    size = 0
    last_is_prose = False
    for block in blocks:
        for piece in _pieces(block, max_chars, overlap_chars):
            extra = len(piece) + (2 if current else 0)
            if current and size + extra > max_chars:
                yield "\n\n".join(current)
                room = max_chars - len(piece) - 2
                tail = _overlap(current[-1], overlap_chars, room) if last_is_prose else ""
                current, size = ([tail], len(tail)) if tail else ([], 0)
                extra = len(piece) + (2 if current else 0)
            current.append(piece)
            size += extra
            last_is_prose = block.kind == "paragraph"
    if current:
        yield "\n\n".join(current)


def _pieces(block: Block, max_chars: int, overlap_chars: int) -> list[str]:
    text = block.text.strip()
    if len(text) <= max_chars:
        return [text] if text else []
    if block.kind == "table" and len(block.rows) > 1:
        return _split_table(block.rows, max_chars)
    if block.kind in ("table", "code"):
        return _split_lines(text, max_chars)
    return _split_prose(text, max_chars, overlap_chars)


def _split_table(rows: tuple[str, ...], max_chars: int) -> list[str]:
    header, body = rows[0][:max_chars], rows[1:]
    parts: list[str] = []
    current = [header]
    size = len(header)
    for row in body:
        row = row[: max_chars - len(header) - 1]
        if len(current) > 1 and size + 1 + len(row) > max_chars:
            parts.append("\n".join(current))
            current, size = [header], len(header)
        current.append(row)
        size += 1 + len(row)
    if len(current) > 1:
        parts.append("\n".join(current))
    return parts


def _split_lines(text: str, max_chars: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > max_chars:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:max_chars])
            line = line[max_chars:]
        if current and len(current) + 1 + len(line) > max_chars:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current.strip():
        parts.append(current)
    return parts


def _split_prose(text: str, max_chars: int, overlap_chars: int) -> list[str]:
    """Sentences packed up to `max_chars`; each piece after the first opens with the last
    sentences of the one before (up to `overlap_chars`)."""
    parts: list[str] = []
    current: list[str] = []
    for sentence in _sentences(text, max_chars):
        if current and len(" ".join([*current, sentence])) > max_chars:
            parts.append(" ".join(current))
            carried = _tail(current, min(overlap_chars, max_chars - len(sentence) - 1))
            current = [*carried, sentence]
        else:
            current.append(sentence)
    if current:
        parts.append(" ".join(current))
    return parts


def _tail(sentences: list[str], limit: int) -> list[str]:
    """The last whole sentences whose joined length is at most `limit` (never all of them)."""
    kept: list[str] = []
    size = -1
    for sentence in reversed(sentences[1:]):
        if size + 1 + len(sentence) > limit:
            break
        kept.insert(0, sentence)
        size += 1 + len(sentence)
    return kept


def _sentences(text: str, max_chars: int) -> Iterator[str]:
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            yield sentence[:cut]
            sentence = sentence[cut:].lstrip()
        if sentence:
            yield sentence


def _overlap(previous: str, overlap_chars: int, room: int) -> str:
    """The last whole sentences of the previous paragraph that fit in `overlap_chars`."""
    return " ".join(_tail(_SENTENCE_END.split(previous), min(overlap_chars, room)))
