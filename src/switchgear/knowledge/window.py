"""Chunks sized to the embedding model's window, and the chunks that still do not fit.

Characters per token differ up to sixfold between scripts and tokenizers (measured with the
models' own tokenizers on one HR paragraph per language): all-MiniLM-L6-v2's English
WordPiece reads 4.9 characters of English per token but 1.0 of Japanese or Chinese, 0.75 of
Korean and 1.2 of Arabic or Russian; multilingual-e5-small's XLM-R pieces read 4.2-4.5 of
English, German, Spanish and Russian, 3.1 of Arabic and 1.2-1.8 of CJK. So one `max_chars` for
every document either wastes most of E5's 512 tokens on English or has MiniLM cut Japanese
chunks at a quarter of their length. Unless the operator sets `chunking.max_chars`, each
document gets the most characters that its own text, as the model tokenises it, fits in the
window with the title and heading path in front.
"""

from __future__ import annotations

from collections.abc import Sequence

from switchgear.knowledge.embedder import Embedder
from switchgear.knowledge.records import ParsedDocument

# Sample pieces stay below the smallest window even at 0.75 characters per token (MiniLM on
# Hangul), so a tokenizer that truncates still counts each whole.
_PIECE_CHARS = 120
_SAMPLE_CHARS = 12_000
# Tokens kept free for the heading path in front of the chunk text.
_SECTION_TOKENS = 16
# The sample's average hides denser passages; aim this far below the window.
_FILL = 0.9
MIN_CHARS, MAX_CHARS = 100, 20_000


def window_chars(document: ParsedDocument, title: str, embedder: Embedder) -> int:
    """The `max_chars` that fills `embedder`'s window with this document's text, after
    `title` (in front of every chunk's embedding text)."""
    text = " ".join(" ".join(block.text.split()) for block in document.blocks)[:_SAMPLE_CHARS]
    pieces = [text[i : i + _PIECE_CHARS] for i in range(0, len(text), _PIECE_CHARS)]
    if not pieces:
        return MIN_CHARS
    empty, title_tokens, *counts = embedder.count_tokens(["", title, *pieces])
    tokens = sum(count - empty for count in counts)
    chars_per_token = len("".join(pieces)) / max(tokens, 1)
    room = embedder.max_tokens - title_tokens - _SECTION_TOKENS
    return max(MIN_CHARS, min(MAX_CHARS, int(room * _FILL * chars_per_token)))


def over_window(embedder: Embedder, texts: Sequence[str]) -> int:
    """How many texts fill the model's window or run past it: MiniLM reads no further than
    `max_tokens` (its count stops there), E5 embeds the rest in further windows whose mean is
    blurrier than one passage's vector."""
    if not texts:
        return 0
    return sum(1 for count in embedder.count_tokens(texts) if count >= embedder.max_tokens)
