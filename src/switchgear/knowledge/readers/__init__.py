"""One reader per format, chosen by file extension. Each turns bytes into structural blocks.

A reader raises `ReadError` with a sentence a person can act on ("password-protected PDF",
"empty file"); the ingest report shows it for that file and the batch goes on.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import PurePosixPath

from switchgear.knowledge.records import ParsedDocument


class ReadError(Exception):
    """This file cannot be indexed; the message says why."""


Reader = Callable[[bytes, str], ParsedDocument]


# Extension -> (module under this package, function). Imported on first use, so a gateway
# that never ingests never loads pypdf or python-docx.
READERS: dict[str, tuple[str, str]] = {
    ".pdf": ("pdf", "read_pdf"),
    ".docx": ("docx", "read_docx"),
    ".html": ("html", "read_html"),
    ".htm": ("html", "read_html"),
    ".md": ("text", "read_markdown"),
    ".markdown": ("text", "read_markdown"),
    ".txt": ("text", "read_text"),
    ".text": ("text", "read_text"),
    ".csv": ("text", "read_csv"),
}


def _reader(suffix: str) -> Reader | None:
    found = READERS.get(suffix)
    if found is None:
        return None
    module, function = found
    reader: Reader = getattr(importlib.import_module(f"{__name__}.{module}"), function)
    return reader


def supported_suffixes() -> list[str]:
    return sorted(READERS)


def read_document(data: bytes, name: str) -> ParsedDocument:
    """Parse one file's bytes; `name` (a path or file name) picks the reader by its extension."""
    path = PurePosixPath(name)
    suffix = path.suffix.lower()
    reader = _reader(suffix)
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
