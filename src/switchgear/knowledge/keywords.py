"""Keyword terms for full-text search, computed here so SQLite (FTS5) and Postgres (tsvector)
index and query exactly the same terms, whatever the script.

Both indexes store the space-joined output of `index_terms` and tokenise it only at spaces
(FTS5's `ascii` tokenizer, Postgres's `simple` configuration); questions go through
`query_terms`, the same function with stop words removed. Per script:

- Han, Hiragana, Katakana, Hangul (and Thai, Lao, Khmer, Myanmar, which have no spaces either):
  overlapping character bigrams of each run, the character itself for a run of one. A question
  then shares terms with the text without a dictionary: `コアタイムは何時から` gives `コア`,
  `アタ`, `タイ`, `イム`, ... which `コアタイム` in the text also gives. On a hand-written set
  (10 HR passages and questions each), BM25 P@1 went from 0.00 (FTS5's unicode61, one token
  per run) to 1.00 in Japanese and Chinese; TinySegmenter words instead gave 0.90 (ja), jieba
  1.00 (zh): a dictionary does not pay for itself here.
- Arabic: harakat, superscript alef and tatweel dropped; أ إ آ ٱ -> ا, ى -> ي, ة -> ه; a word
  with an article prefix (ال, وال, بال, كال, فال, لل) is indexed with and without it (P@1 on
  8 questions: 0.50 before, 0.50 with letter forms alone, 0.88 with the article too).
- Hebrew: niqqud and cantillation dropped.
- Latin, Greek, Cyrillic: NFKC, case folded, diacritics dropped; a plain ASCII word is also
  indexed by a light English stem (`leaves`, `leaving`, `leave` -> `leav`), next to the word
  itself, so a stem that is wrong for another language only adds a term and never loses one
  (English P@1 0.50 without it, 1.00 with it, as with FTS5's porter). German compounds are not
  split: the misses on a German set (`Urlaubstage` for `Jahresurlaub`) need a lexicon.
"""

# ruff: noqa: RUF001, RUF002, RUF003  (letters of other scripts are the point of this module)

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator

# Runs of these are cut into bigrams: scripts written without spaces between words (Hangul has
# spaces, but particles attach to the word: `휴가는` must match `휴가`).
_BIGRAM_SCRIPTS = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1100-\u11ff"  # Hangul jamo
    "\u1780-\u17ff"  # Khmer
    "\u3005-\u3007"  # 々 〆 〇
    "\u3040-\u30ff"  # Hiragana, Katakana (with ー)
    "\u3130-\u318f"  # Hangul compatibility jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0003134f"  # CJK extensions B-G
)
_RUNS = re.compile(f"([{_BIGRAM_SCRIPTS}]+)|([^{_BIGRAM_SCRIPTS}]+)")
_HIRAGANA = re.compile("[\u3040-\u309f]+")
# Combining diacritics of Latin, Greek and Cyrillic letters (after NFD); other scripts' marks
# (Devanagari vowel signs, Japanese voicing marks) are part of their letters and are kept.
_LATIN_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Arabic harakat, Quranic marks, superscript alef, tatweel; Hebrew niqqud and cantillation.
_SEMITIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u0591-\u05c7]")
_LETTER_FORMS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
_ARABIC_ARTICLES = ("وال", "بال", "كال", "فال", "ال", "لل")
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")

# Words that carry no topic; dropping them keeps the OR-query small and BM25 focused.
_STOPWORD_TEXT = """
a about above after again all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its
itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours yourself
yourselves tell know please much many get
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Suffixes the light English stem removes, longest first; the stem keeps at least 3 letters.
_SUFFIXES = (
    *("nesses", "ness", "ments", "ment", "ings", "ing", "edly", "ers", "ies", "ed", "er", "es"),
    *("ly", "s"),
)
_KEEP_FINAL_S = ("ss", "us", "is")


def index_terms(text: str) -> list[str]:
    """The terms a text is indexed under, in text order (repeats kept: they count in BM25)."""
    terms: list[str] = []
    for word, is_run in _words(text):
        terms.extend(_bigrams(word) if is_run else _word_terms(word))
    return terms


def keyword_text(text: str) -> str:
    """`index_terms` joined by spaces: what the full-text column stores."""
    return " ".join(index_terms(text))


def query_terms(query: str, limit: int = 48) -> list[str]:
    """Distinct terms of a question for an OR query: English stop words and bigrams of
    Hiragana alone (particles and verb endings: `から`, `です`) are left out, unless nothing
    else is left."""
    kept: list[str] = []
    dropped: list[str] = []
    for word, is_run in _words(query):
        if is_run:
            for gram in _bigrams(word):
                (dropped if _HIRAGANA.fullmatch(gram) else kept).append(gram)
        elif word in STOPWORDS:
            dropped.append(word)
        else:
            kept.extend(_word_terms(word))
    return list(dict.fromkeys(kept or dropped))[:limit]


def normalise(text: str) -> str:
    """NFKC, case folded, Latin/Greek/Cyrillic diacritics and Semitic vowel marks dropped,
    Arabic letter variants unified."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text)))
    return _SEMITIC_MARKS.sub("", text).translate(_LETTER_FORMS)


def _words(text: str) -> Iterator[tuple[str, bool]]:
    """(piece, is a run of a script without spaces) for each word of the normalised text."""
    for token in _token_pattern().findall(normalise(text)):
        for run, other in _RUNS.findall(token):
            yield (run, True) if run else (other, False)


@functools.cache
def _token_pattern() -> re.Pattern[str]:
    """Letters and digits with their combining marks (Python's `\\w` has no marks, so it would
    cut Devanagari or Thai words at every vowel sign)."""
    ranges: list[str] = []
    start: int | None = None
    for code in range(0x30000):
        is_mark = unicodedata.category(chr(code)).startswith("M")
        if is_mark and start is None:
            start = code
        elif not is_mark and start is not None:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(code - 1))}")
            start = None
    return re.compile(f"(?:[^\\W_]|[{''.join(ranges)}])+")


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _word_terms(word: str) -> list[str]:
    if word.isascii():
        stem = english_stem(word)
        return [word, stem] if stem != word else [word]
    if _ARABIC_LETTER.match(word):
        for article in _ARABIC_ARTICLES:
            if word.startswith(article) and len(word) - len(article) >= 2:
                return [word, word[len(article) :]]
    return [word]


def english_stem(word: str) -> str:
    """A light suffix stripper for English inflections (not Porter): plural, -ing, -ed, -er,
    -ly, -ness, -ment, then a final `e` and a doubled consonant go, and `y` becomes `i`, so the
    forms of one word meet: `policy`/`policies` -> `polici`, `running`/`run` -> `run`."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(_KEEP_FINAL_S):
                break
            word = word[: -len(suffix)] + ("i" if suffix == "ies" else "")
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    elif word.endswith("y") and len(word) > 3:
        word = word[:-1] + "i"
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeioulsz":
        word = word[:-1]
    return word
