"""Keyword search in every script, on SQLite and on Postgres: a natural question finds its
document in `mode=bm25` even where the language writes no spaces (Japanese, Chinese), attaches
particles to words (Korean), or spells the same word with other letter forms (Arabic)."""

# ruff: noqa: RUF001, RUF003  (text in other scripts is what is tested)

from __future__ import annotations

from pathlib import Path

import pytest

from switchgear.knowledge.acl import Reader
from switchgear.knowledge.keywords import english_stem, index_terms, query_terms
from switchgear.knowledge.service import Knowledge
from tests.knowledge.conftest import OpenKnowledge
from tests.knowledge.make_docs import write

ANYONE = Reader()
DOCUMENTS = {
    "ja-hours.md": "# 勤務時間\n\nフレックスタイム制を採用しています。"
    "コアタイムは10時から15時までで、この時間は全員が勤務します。",
    "ja-expenses.md": "# 経費精算\n\n領収書は購入日から30日以内に経理部へ提出してください。",
    "zh-leave.md": "# 年假规定\n\n员工每年享有十五天带薪年假，需提前两周向主管申请。",
    "zh-laptop.md": "# 设备\n\n新员工入职第一天领取笔记本电脑和门禁卡。",
    "ko-leave.md": "# 연차 휴가\n\n정규직 직원은 매년 15일의 유급 연차 휴가를 받습니다.",
    "ko-security.md": "# 보안\n\n비밀번호는 90일마다 변경해야 합니다.",
    # Diacritics, hamza on the alef and teh marbuta, as a careful writer types them.
    "ar-leave.md": "# الإجازة السنويّة\n\nيحصل كلُّ موظفٍ على ثلاثين يوماً من الإجازة السنويّة المدفوعة.",
    "ar-travel.md": "# السفر\n\nتُحجز تذاكر القطار للرحلات التي تقل عن أربع ساعات.",
    "en-leave.md": "# Annual leave\n\nFull-time employees receive 25 days of paid leave.",
    "en-travel.md": "# Travel\n\nBook trains for journeys under four hours.",
}
QUESTIONS = [
    ("コアタイムは何時から何時までですか？", "ja-hours.md"),
    ("領収書の提出期限はいつですか", "ja-expenses.md"),
    ("我每年有几天带薪年假？", "zh-leave.md"),
    ("新员工什么时候拿到电脑？", "zh-laptop.md"),
    ("연차 휴가는 며칠인가요?", "ko-leave.md"),
    ("비밀번호를 언제 변경하나요?", "ko-security.md"),
    # No diacritics, a bare alef, ه for ة, and a prefixed article the text does not have.
    ("كم يوما اجازه سنويه للموظف؟", "ar-leave.md"),
    ("هل احجز القطار للرحله؟", "ar-travel.md"),
    ("How many days of leave do employees get?", "en-leave.md"),
]


def ingested(tmp_path: Path, open_knowledge: OpenKnowledge) -> Knowledge:
    for name, text in DOCUMENTS.items():
        write(tmp_path / "kb" / name, text)
    knowledge = open_knowledge()
    report = knowledge.ingest([tmp_path / "kb"], "kb")
    assert report.ok, report.to_dict()
    return knowledge


def test_a_natural_question_finds_its_document_in_every_script(
    tmp_path: Path, open_knowledge: OpenKnowledge
) -> None:
    knowledge = ingested(tmp_path, open_knowledge)
    for question, source in QUESTIONS:
        passages = knowledge.search(question, "kb", ANYONE, top_k=3, mode="bm25")
        assert passages, question
        assert passages[0].source == f"kb/{source}", (question, [p.source for p in passages])


def test_a_bm25_only_lone_hit_is_a_full_match(
    tmp_path: Path, open_knowledge: OpenKnowledge
) -> None:
    knowledge = ingested(tmp_path, open_knowledge)
    [passage] = knowledge.search("パスワード コアタイム", "kb", ANYONE, mode="bm25")
    assert passage.source == "kb/ja-hours.md"
    assert passage.score == pytest.approx(1.0)


def test_a_database_indexed_before_keyword_terms_is_rebuilt_on_open(
    tmp_path: Path, open_knowledge: OpenKnowledge, request: pytest.FixtureRequest
) -> None:
    knowledge = ingested(tmp_path, open_knowledge)
    store = knowledge.store
    db = store._db  # type: ignore[attr-defined]
    if request.node.callspec.params["new_store"] == "sqlite":
        # As the first release left it: one FTS5 row per chunk, raw text, porter tokenizer.
        db.execute("DROP TABLE chunks_fts")
        db.execute(
            "CREATE VIRTUAL TABLE chunks_fts USING fts5(title, section, text, content='', "
            "contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2')"
        )
        db.execute(
            "INSERT INTO chunks_fts (rowid, title, section, text) SELECT c.id, d.title, "
            "coalesce(c.section, ''), c.text FROM chunks c JOIN documents d ON d.id = c.document_id"
        )
    else:
        db.execute("ALTER TABLE knowledge_chunks DROP COLUMN tsv")
        db.execute(
            "ALTER TABLE knowledge_chunks ADD COLUMN tsv TSVECTOR GENERATED ALWAYS AS ("
            "to_tsvector('english', title || ' ' || coalesce(section, '') || ' ' || text)) STORED"
        )
    db.execute("DELETE FROM schema_migrations WHERE name = 'knowledge.m002_keywords'")
    knowledge.close()

    reopened = open_knowledge()
    found = reopened.search(QUESTIONS[0][0], "kb", ANYONE, top_k=1, mode="bm25")
    assert [p.source for p in found] == ["kb/ja-hours.md"]


def test_terms_are_the_same_for_text_and_question() -> None:
    assert index_terms("コアタイム") == ["コア", "アタ", "タイ", "イム"]
    # Hiragana-only bigrams (particles, endings) and English stop words stay out of a query.
    assert "から" not in query_terms("何時から")
    assert query_terms("What is the leave policy?") == ["leave", "leav", "policy", "polici"]
    # Diacritics go; a plain ASCII word is indexed as itself and by its light stem.
    assert index_terms("Ärger in İstanbul") == ["arger", "arg", "in", "istanbul"]
    assert index_terms("الإجازةُ") == index_terms("الاجازه") == ["الاجازه", "اجازه"]
    assert index_terms("שָׁלוֹם") == ["שלום"]
    # Devanagari keeps its vowel signs: one word, not cut at each mark.
    assert index_terms("हिन्दी भाषा") == ["हिन्दी", "भाषा"]
    assert {english_stem(w) for w in ("leave", "leaves", "leaving")} == {"leav"}
    assert english_stem("policies") == english_stem("policy")
