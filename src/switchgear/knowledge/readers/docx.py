"""DOCX with python-docx (MIT): heading styles become sections, tables stay tables."""

from __future__ import annotations

import io
import re
import zipfile

from switchgear.knowledge.readers import ReadError
from switchgear.knowledge.records import Block, ParsedDocument

_HEADING_STYLE = re.compile(r"^Heading\s*(\d)$", re.IGNORECASE)


def read_docx(data: bytes, title: str) -> ParsedDocument:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    if not data.startswith(b"PK"):
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise ReadError(
                "an encrypted (password-protected) or legacy .doc file, not a DOCX package"
            )
        raise ReadError("not a DOCX file: it is not a ZIP package (corrupt or mislabelled)")
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[Block] = []
        for item in document.iter_inner_content():
            if isinstance(item, Paragraph):
                block = _paragraph(item)
                if block is not None:
                    blocks.append(block)
            elif isinstance(item, Table):
                block = _table(item)
                if block is not None:
                    blocks.append(block)
        core_title = (document.core_properties.title or "").strip()
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ReadError(f"corrupt DOCX: {error}") from error
    except Exception as error:  # lxml and docx raise many kinds on damaged packages
        raise ReadError(f"corrupt DOCX ({type(error).__name__}): {error}") from error
    styled_title = next((b.text for b in blocks if _is_title(b)), None)
    blocks = [b for b in blocks if not _is_title(b)]
    return ParsedDocument(
        title=core_title or styled_title or title, format="docx", blocks=blocks, pages=None
    )


def _paragraph(paragraph: object) -> Block | None:
    text = (paragraph.text or "").strip()  # type: ignore[attr-defined]
    if not text:
        return None
    style = paragraph.style  # type: ignore[attr-defined]
    name = (style.name if style is not None else "") or ""
    if name.lower() == "title":
        return Block("heading", text, level=0)
    match = _HEADING_STYLE.match(name)
    if match:
        return Block("heading", text, level=max(1, int(match.group(1))))
    return Block("paragraph", text)


def _table(table: object) -> Block | None:
    rows: list[str] = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            # Merged cells repeat; keep one copy.
            if not cells or cells[-1] != text:
                cells.append(text)
        if any(cells):
            rows.append(" | ".join(cells))
    if not rows:
        return None
    return Block("table", "\n".join(rows), rows=tuple(rows))


def _is_title(block: Block) -> bool:
    return block.kind == "heading" and block.level == 0
