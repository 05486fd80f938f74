"""One reader per format, chosen by file extension. Each turns bytes into structural blocks.

A reader raises `ReadError` with a sentence a person can act on ("password-protected PDF",
"empty file"); the ingest report shows it for that file and the batch goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from switchgear.knowledge.records import ParsedDocument


class ReadError(Exception):
    """This file cannot be indexed; the message says why."""


Reader = Callable[[bytes, str], ParsedDocument]


def _pdf(data: bytes, title: str) -> ParsedDocument:
    from switchgear.knowledge.readers.pdf import read_pdf

    return read_pdf(data, title)


def _docx(data: bytes, title: str) -> ParsedDocument:
    from switchgear.knowledge.readers.docx import read_docx

    return read_docx(data, title)


def _html(data: bytes, title: str) -> ParsedDocument:
    from switchgear.knowledge.readers.html import read_html

    return read_html(data, title)


def _markdown(data: bytes, title: str) -> ParsedDocument:
    from switchgear.knowledge.readers.text import read_markdown

    return read_markdown(data, title)


def _text(data: bytes, title: str) -> ParsedDocument:
    from switchgear.knowledge.readers.text import read_text

    return read_text(data, title)


def _csv(data: bytes, title: str) -> ParsedDocument:
    from switchgear.knowledge.readers.text import read_csv

    return read_csv(data, title)


READERS: dict[str, Reader] = {
    ".pdf": _pdf,
    ".docx": _docx,
    ".html": _html,
    ".htm": _html,
    ".md": _markdown,
    ".markdown": _markdown,
    ".txt": _text,
    ".text": _text,
    ".csv": _csv,
}


def supported_suffixes() -> list[str]:
    return sorted(READERS)


def read_document(data: bytes, name: str) -> ParsedDocument:
    """Parse one file's bytes; `name` (a path or file name) picks the reader by its extension."""
    path = PurePosixPath(name)
    suffix = path.suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        shown = f"`{suffix}`" if suffix else "a file without an extension"
        raise ReadError(
            f"unsupported format: {shown} (supported: {', '.join(supported_suffixes())})"
        )
    if not data.strip():
        raise ReadError("empty file: nothing to index")
    document = reader(data, path.stem)
    if not any(block.text.strip() for block in document.blocks if block.kind != "heading"):
        raise ReadError(_no_text_message(suffix))
    return document


def _no_text_message(suffix: str) -> str:
    if suffix == ".pdf":
        return "no extractable text (a scanned PDF? OCR is not supported)"
    return "no text found in the file"
