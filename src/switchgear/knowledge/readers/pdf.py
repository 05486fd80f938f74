"""PDF: text per page with pypdf (pure Python, BSD). Pages are kept, so citations name them."""

from __future__ import annotations

import io
import logging
import re

from switchgear.knowledge.readers import ReadError
from switchgear.knowledge.readers.text import looks_like_heading
from switchgear.knowledge.records import Block, ParsedDocument

_MAX_PAGES = 5000
_PARAGRAPH_END = tuple('.!?:"\u201d)')


def read_pdf(data: bytes, title: str) -> ParsedDocument:
    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise ReadError("not a PDF: the file does not start with %PDF (corrupt or mislabelled)")
    # pypdf logs every repair it makes to a damaged file; the ingest report says what matters.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        pdf = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if pdf.is_encrypted:
            try:
                opened = pdf.decrypt("")
            except DependencyError as error:
                raise ReadError(f"encrypted PDF that needs a missing library: {error}") from error
            if not opened:
                raise ReadError("password-protected PDF: remove the password and ingest it again")
        count = len(pdf.pages)
        if count > _MAX_PAGES:
            raise ReadError(f"PDF has {count} pages, more than the {_MAX_PAGES} supported")
        blocks: list[Block] = []
        for number, page in enumerate(pdf.pages, start=1):
            blocks.extend(_page_blocks(page.extract_text() or "", number))
        meta_title = _metadata_title(pdf)
    except ReadError:
        raise
    except FileNotDecryptedError as error:
        raise ReadError(
            "password-protected PDF: remove the password and ingest it again"
        ) from error
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise ReadError(f"corrupt PDF: {error or type(error).__name__}") from error
    except Exception as error:  # pypdf raises many kinds on damaged files; name it, go on
        raise ReadError(f"corrupt PDF ({type(error).__name__}): {error}") from error
    return ParsedDocument(title=meta_title or title, format="pdf", blocks=blocks, pages=count)


def _page_blocks(text: str, page: int) -> list[Block]:
    """PDF text has lines, not paragraphs: a line clearly shorter than the page's longest that
    ends a sentence closes a paragraph; a short capitalised line between paragraphs is a
    heading. Blank lines, where the extractor gives them, also separate paragraphs."""
    text = text.replace("\x00", "")
    # Words hyphenated across a line break: "bene-\nfits" -> "benefits".
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    lines = [line.strip() for line in text.split("\n")]
    width = max((len(line) for line in lines), default=0)
    blocks: list[Block] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append(Block("paragraph", " ".join(" ".join(current).split()), page=page))
            current.clear()

    for line in lines:
        if not line:
            flush()
        elif not current and looks_like_heading(line):
            blocks.append(Block("heading", line, level=2, page=page))
        else:
            current.append(line)
            if len(line) < 0.75 * width and line[-1] in _PARAGRAPH_END:
                flush()
    flush()
    return blocks


def _metadata_title(pdf: object) -> str | None:
    try:
        metadata = pdf.metadata  # type: ignore[attr-defined]
        title = metadata.title if metadata is not None else None
    except Exception:  # a damaged info dictionary must not fail an otherwise readable file
        return None
    if not isinstance(title, str):
        return None
    title = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", title.strip())
    return title if title and title.lower() not in ("untitled", "none") else None
