"""A reader without access never sees a restricted passage: not in search results, not in the
prompt, not in citations, in any retrieval mode, even when it is the best match."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from switchgear.knowledge.acl import Acl, AclError, Reader
from switchgear.knowledge.cite import citations_for
from switchgear.knowledge.config import RouteKnowledge
from switchgear.knowledge.service import Knowledge
from switchgear.schema.requests import ChatCompletionRequest, Message
from tests.knowledge.conftest import OpenKnowledge
from tests.knowledge.make_docs import write

SECRET = "The salary band for staff engineers is 140,000 to 170,000 euros per year."
APP_ONLY = "The payroll batch runs at 02:00 UTC on the 25th of every month."
QUESTION = "What is the salary band for staff engineers?"
ENGINEER = Reader(user="bob", team="engineering")
MODES = ("hybrid", "bm25", "vector")


@pytest.fixture()
def knowledge(tmp_path: Path, open_knowledge: OpenKnowledge) -> Knowledge:
    public = tmp_path / "public"
    write(public / "handbook.md", "# Handbook\n\n" + "\n\n".join(
        f"## Topic {n}\n\nEngineers and staff follow guideline number {n} about salary "
        f"reviews, career levels and the engineering ladder, revised in 20{10 + n}."
        for n in range(8)
    ))  # fmt: skip
    write(tmp_path / "restricted" / "salaries.md", f"# Pay bands\n\n## Staff engineers\n\n{SECRET}")
    write(tmp_path / "bots" / "payroll.md", f"# Payroll jobs\n\n## Schedule\n\n{APP_ONLY}")
    # Chunks too small for two topics: eight public passages that all mention salaries.
    kb = open_knowledge(chunking={"max_chars": 200, "overlap_chars": 50})
    assert kb.ingest([public], "kb", acl=["public"]).ok
    assert kb.ingest([tmp_path / "restricted"], "kb", acl=["team:hr", "user:ceo"]).ok
    assert kb.ingest([tmp_path / "bots"], "kb", acl=["app:payroll-bot"]).ok
    return kb


def sources(knowledge: Knowledge, reader: Reader, mode: str, query: str = QUESTION) -> list[str]:
    passages = knowledge.search(query, "kb", reader, top_k=5, mode=mode)  # type: ignore[arg-type]
    return [p.source for p in passages]


@pytest.mark.parametrize("mode", MODES)
def test_restricted_best_match_is_never_returned_to_an_outsider(
    knowledge: Knowledge, mode: str
) -> None:
    # The question is the secret passage's own words: it is everyone's best match.
    for reader in (ENGINEER, Reader(), Reader(user="payroll-bot")):
        found = sources(knowledge, reader, mode, query=SECRET)
        assert "restricted/salaries.md" not in found
        assert "bots/payroll.md" not in found
        # Filtered inside the ranking query, not afterwards: still a full page of results.
        assert len(found) == 5
        assert set(found) == {"public/handbook.md"}


@pytest.mark.parametrize("mode", MODES)
def test_each_allowed_principal_sees_it_first(knowledge: Knowledge, mode: str) -> None:
    for reader in (Reader(team="hr"), Reader(user="ceo", team="board"), Reader(user="ceo")):
        assert sources(knowledge, reader, mode)[0] == "restricted/salaries.md"
    assert sources(knowledge, Reader(app="payroll-bot"), mode, APP_ONLY)[0] == "bots/payroll.md"


def test_the_vector_scan_filters_before_choosing_the_nearest(knowledge: Knowledge) -> None:
    """k=1 with the secret's own vector: the store answers with the nearest *readable* chunk.
    A post-filter would have found the secret, dropped it, and returned nothing."""
    vector = knowledge.embedder.embed([SECRET])[0]
    insider = knowledge.store.search_vector("kb", vector, Reader(team="hr"), 1)
    outsider = knowledge.store.search_vector("kb", vector, ENGINEER, 1)
    assert len(insider) == len(outsider) == 1
    assert insider[0].chunk_id != outsider[0].chunk_id
    secret_id = insider[0].chunk_id
    assert knowledge.store.passages([secret_id], Reader(team="hr"))[secret_id].text == SECRET
    text_hits = knowledge.store.search_text("kb", ["140", "000", "170"], ENGINEER, 10)
    assert text_hits == []
    # Even asked by id, the store will not hand an unreadable chunk to this reader.
    assert knowledge.store.passages([secret_id], ENGINEER) == {}


def test_chat_augmentation_never_puts_it_in_the_prompt_or_citations(
    knowledge: Knowledge,
) -> None:
    request = ChatCompletionRequest(
        model="hr-assistant",
        messages=[
            Message(role="system", content="You are the HR assistant."),
            Message(role="user", content=QUESTION),
        ],
    )
    binding = RouteKnowledge(collection="kb", top_k=4)

    outsider = asyncio.run(knowledge.augment(request, binding, ENGINEER))
    prompt = "\n".join(m.text() for m in outsider.request.messages)
    assert "140,000" not in prompt and "Pay bands" not in prompt
    assert outsider.citations and all(c.source == "public/handbook.md" for c in outsider.citations)

    insider = asyncio.run(knowledge.augment(request, binding, Reader(team="hr")))
    sources_message = insider.request.messages[1]
    assert sources_message.role == "system"
    assert f"[1] Pay bands (restricted/salaries.md, Staff engineers)\n{SECRET}" in (
        sources_message.text()
    )
    assert insider.citations[0].source == "restricted/salaries.md"
    assert insider.citations[0].number == 1
    # The caller's own messages are untouched and still in order around the sources.
    assert insider.request.messages[0].text() == "You are the HR assistant."
    assert insider.request.messages[-1].text() == QUESTION


def test_narrowing_an_acl_takes_effect_without_re_embedding(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    assert sources(knowledge, ENGINEER, "hybrid")
    report = knowledge.ingest([tmp_path / "public"], "kb", acl=["team:hr"])
    assert [f.status for f in report.files] == ["acl_updated"]
    assert report.chunks_embedded == 0
    for mode in MODES:
        assert sources(knowledge, ENGINEER, mode) == []
    assert "public/handbook.md" in sources(knowledge, Reader(team="hr"), "hybrid")


def test_acl_entries_are_validated() -> None:
    assert Acl.parse(["public"]).allows(Reader())
    assert Acl.parse(["team:hr", "USER:ceo"]).key() == "team:hr,user:ceo"
    assert not Acl.parse(["app:bot"]).allows(Reader(user="bot"))
    for bad in (["everyone"], ["team:"], ["group:x"], [], ["user:a b"]):
        with pytest.raises(AclError):
            Acl.parse(bad)


def test_reranking_by_a_route_reorders_only_what_the_reader_may_see(
    knowledge: Knowledge,
) -> None:
    request = ChatCompletionRequest(
        model="hr-assistant", messages=[Message(role="user", content=QUESTION)]
    )
    binding = RouteKnowledge(collection="kb", top_k=3, rerank_route="judge", rerank_candidates=6)
    prompts: list[str] = []

    async def reversed_judge(prompt: str) -> str:
        prompts.append(prompt)
        return "Ranking: 6, 5, 4, 99, 4"

    async def broken_judge(prompt: str) -> str:
        raise RuntimeError("route down")

    fused = knowledge.search(QUESTION, "kb", ENGINEER, top_k=6)
    reranked = asyncio.run(knowledge.augment(request, binding, ENGINEER, complete=reversed_judge))
    assert [c.chunk_id for c in reranked.citations] == [p.chunk_id for p in fused[::-1][:3]]
    assert "140,000" not in prompts[0]
    fallback = asyncio.run(knowledge.augment(request, binding, ENGINEER, complete=broken_judge))
    assert [c.chunk_id for c in fallback.citations] == [p.chunk_id for p in fused[:3]]
    plain = asyncio.run(knowledge.augment(request, RouteKnowledge(collection="kb"), ENGINEER))
    assert plain.citations == citations_for(knowledge.search(QUESTION, "kb", ENGINEER))
