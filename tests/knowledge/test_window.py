"""Chunks fit the embedding model's window: sized to it by default, whatever the script, and
when an operator's `max_chars` makes them too long for it, ingest says so per file."""

from __future__ import annotations

import logging
from pathlib import Path

import msgspec
import pytest

from switchgear.knowledge.config import KnowledgeConfig
from switchgear.knowledge.embedder import MiniLmOnnx
from switchgear.knowledge.service import Knowledge
from switchgear.knowledge.sqlite_index import SqliteKnowledgeStore
from tests.knowledge.make_docs import write

ARABIC = "يحصل الموظفون بدوام كامل على خمسة وعشرين يوماً من الإجازة السنوية المدفوعة. "
ENGLISH = "Full-time employees receive twenty-five days of paid annual leave every year. "


def knowledge_at(tmp_path: Path, embedder: MiniLmOnnx, **chunking: int) -> Knowledge:
    config = msgspec.convert({"chunking": chunking}, KnowledgeConfig, strict=True)
    return Knowledge(config, SqliteKnowledgeStore(tmp_path / "k.db"), embedder)


def folder(tmp_path: Path) -> Path:
    write(tmp_path / "kb" / "ar.md", "# الإجازة\n\n" + "\n\n".join([ARABIC * 3] * 8))
    write(tmp_path / "kb" / "en.md", "# Leave\n\n" + "\n\n".join([ENGLISH * 3] * 8))
    return tmp_path / "kb"


def test_an_operators_max_chars_past_the_window_is_reported_per_file(
    tmp_path: Path, embedder: MiniLmOnnx, caplog: pytest.LogCaptureFixture
) -> None:
    knowledge = knowledge_at(tmp_path, embedder, max_chars=1000, overlap_chars=100)
    with caplog.at_level(logging.WARNING, logger="switchgear.knowledge"):
        report = knowledge.ingest([folder(tmp_path)], "kb")
    knowledge.close()
    assert report.ok
    # 1,000 characters of Arabic are ~830 MiniLM tokens; of English ~200, inside 256.
    arabic_chunks = next(f.chunks for f in report.files if f.source == "kb/ar.md")
    assert report.truncated_chunks == arabic_chunks > 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"kb/ar.md: {arabic_chunks} of {arabic_chunks} chunks")
    assert "256-token window" in warnings[0]
    assert report.to_dict()["truncated_chunks"] == arabic_chunks
    assert f"{arabic_chunks} over the model's window" in report.summary()


def test_by_default_chunks_fill_the_window_in_every_script(
    tmp_path: Path, embedder: MiniLmOnnx
) -> None:
    knowledge = knowledge_at(tmp_path, embedder)
    report = knowledge.ingest([folder(tmp_path)], "kb")
    chunks = {f.source: f.chunks for f in report.files}
    knowledge.close()
    assert report.ok and report.truncated_chunks == 0
    assert "over the model's window" not in report.summary()
    # As many sentences in each; MiniLM reads Arabic almost letter by letter, so it takes
    # more than twice as many chunks to stay inside the window.
    assert chunks["kb/ar.md"] > 2 * chunks["kb/en.md"]


def test_token_counts_are_each_texts_own_not_the_padded_batch(embedder: MiniLmOnnx) -> None:
    # `usage.prompt_tokens` of /v1/embeddings and the window sizing above both read these.
    short, long = embedder.count_tokens(["leave", ENGLISH * 2])
    assert short == 3  # [CLS] leave [SEP]
    assert long > 30
