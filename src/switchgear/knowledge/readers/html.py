"""HTML with the standard library's parser: headings, paragraphs, list items and tables."""

from __future__ import annotations

from html.parser import HTMLParser

from switchgear.knowledge.readers import ReadError
from switchgear.knowledge.readers.text import decode_text
from switchgear.knowledge.records import Block, ParsedDocument

_SKIP = {"script", "style", "noscript", "template", "svg", "head", "nav", "footer"}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {"p", "li", "dd", "dt", "blockquote", "pre", "div", "section", "article", "main"}
_BLOCKS |= {"figcaption", "caption", "address", "br", "hr", "body", "ul", "ol", "dl"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title = ""
        self._skip = 0
        self._in_title = False
        self._text: list[str] = []
        self._heading: int | None = None
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _SKIP:
            self._skip += 1
            return
        if self._skip:
            return
        if tag == "table":
            self._flush()
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []
        elif tag in _HEADINGS:
            self._flush()
            self._heading = _HEADINGS[tag]
        elif tag in _BLOCKS and self._rows is None:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
            return
        if self._skip:
            return
        if tag in ("td", "th") and self._rows is not None and self._cell is not None:
            if not self._rows:
                self._rows.append([])
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._rows is not None:
            rows = tuple(" | ".join(r) for r in self._rows if any(c for c in r))
            if rows:
                self.blocks.append(Block("table", "\n".join(rows), rows=rows))
            self._rows = None
        elif tag in _HEADINGS or (tag in _BLOCKS and self._rows is None):
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif self._rows is None:
            self._text.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._text).split())
        self._text.clear()
        if text:
            if self._heading is not None:
                self.blocks.append(Block("heading", text, level=self._heading))
            else:
                self.blocks.append(Block("paragraph", text))
        self._heading = None

    def finish(self) -> None:
        self.close()
        self._flush()


def read_html(data: bytes, title: str) -> ParsedDocument:
    collector = _Collector()
    try:
        collector.feed(decode_text(data))
        collector.finish()
    except ReadError:
        raise
    except Exception as error:  # html.parser is lenient; anything it raises is a broken file
        raise ReadError(f"unreadable HTML ({type(error).__name__}): {error}") from error
    page_title = " ".join(collector.title.split())
    first_h1 = next(
        (b.text for b in collector.blocks if b.kind == "heading" and b.level == 1), None
    )
    return ParsedDocument(
        title=page_title or first_h1 or title, format="html", blocks=collector.blocks
    )
