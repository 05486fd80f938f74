"""`/v1/embeddings` and `/v1/search` bodies, numbered sources and citations, and the config
section: the shapes an OpenAI client and an operator depend on."""

from __future__ import annotations

import base64
from pathlib import Path

import msgspec
import numpy as np
import pytest
import yaml

from switchgear.knowledge.acl import Reader
from switchgear.knowledge.cite import augment_request, cited_numbers, sources_footer
from switchgear.knowledge.config import KnowledgeConfig, RouteKnowledge
from switchgear.knowledge.embedder import MiniLmOnnx
from switchgear.knowledge.records import Passage
from switchgear.schema.errors import InvalidRequest, NotFound
from switchgear.schema.kinds import EmbeddingsRequest, SearchRequest
from switchgear.schema.requests import ChatCompletionRequest, Message
from tests.knowledge.conftest import OpenKnowledge
from tests.knowledge.make_docs import write


def request(**fields: object) -> EmbeddingsRequest:
    return msgspec.convert({"model": "all-minilm-l6-v2", **fields}, EmbeddingsRequest)


def test_embeddings_body_is_openai_shaped(open_knowledge: OpenKnowledge) -> None:
    knowledge = open_knowledge()
    body = knowledge.embeddings(request(input=["The cat sat.", "A dog ran."]))
    assert body["object"] == "list"
    assert body["model"] == "all-minilm-l6-v2"
    assert [(d["object"], d["index"], len(d["embedding"])) for d in body["data"]] == [
        ("embedding", 0, 384),
        ("embedding", 1, 384),
    ]
    first = np.array(body["data"][0]["embedding"])
    assert abs(np.linalg.norm(first) - 1.0) < 1e-4
    # [CLS] the cat sat . [SEP] = 6, [CLS] a dog ran . [SEP] = 6
    assert body["usage"] == {"prompt_tokens": 12, "total_tokens": 12}


def test_base64_encoding_decodes_to_the_same_floats(open_knowledge: OpenKnowledge) -> None:
    knowledge = open_knowledge()
    as_floats = knowledge.embeddings(request(input="hello world"))
    as_base64 = knowledge.embeddings(request(input="hello world", encoding_format="base64"))
    encoded = as_base64["data"][0]["embedding"]
    assert isinstance(encoded, str)
    decoded = np.frombuffer(base64.b64decode(encoded), dtype="<f4")
    assert np.allclose(decoded, as_floats["data"][0]["embedding"], atol=1e-7)


def test_similar_texts_embed_close(embedder: MiniLmOnnx) -> None:
    a, b, c = embedder.embed(
        ["How many vacation days do I get?", "Annual leave entitlement", "Server error codes"]
    )
    assert float(a @ b) > float(a @ c) + 0.15


@pytest.mark.parametrize(
    ("fields", "param", "message"),
    [
        ({"input": ""}, "input", "must not be an empty string"),
        ({"input": []}, "input", "must not be an empty list"),
        ({"input": [[1], [-2]]}, "input", "non-empty list of token ids"),
        ({"input": "x", "dimensions": 256}, "dimensions", "only produces 384"),
        ({"input": ["x"] * 2049}, "input", "at most 2048"),
    ],
)
def test_bad_embedding_requests_name_the_parameter(
    open_knowledge: OpenKnowledge, fields: dict[str, object], param: str, message: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        open_knowledge().embeddings(request(**fields))
    assert caught.value.param == param
    assert message in caught.value.message


def test_an_unknown_embedding_model_is_404(open_knowledge: OpenKnowledge) -> None:
    with pytest.raises(NotFound) as caught:
        open_knowledge().embeddings(
            msgspec.convert({"model": "ada", "input": "x"}, EmbeddingsRequest)
        )
    assert caught.value.code == "model_not_found"


def test_search_body_and_unknown_collection(tmp_path: Path, open_knowledge: OpenKnowledge) -> None:
    knowledge = open_knowledge()
    write(tmp_path / "kb" / "wifi.md", "# Wi-Fi\n\n## Guests\n\nThe guest network is Lobby-5G.")
    knowledge.ingest([tmp_path / "kb"], "it")
    body = knowledge.search_response(
        SearchRequest(query="guest wifi name", collection="it", top_k=1), Reader()
    )
    assert body["object"] == "list"
    assert body["collection"] == "it"
    [hit] = body["data"]
    assert (hit["source"], hit["title"], hit["section"], hit["page"]) == (
        "kb/wifi.md",
        "Wi-Fi",
        "Guests",
        None,
    )
    assert hit["text"] == "The guest network is Lobby-5G."
    bound = knowledge.search_response(
        SearchRequest(query="guest wifi", model="it-helper"),
        Reader(),
        RouteKnowledge(collection="it"),
    )
    assert bound["data"][0]["chunk_id"] == hit["chunk_id"]
    with pytest.raises(NotFound):
        knowledge.search_response(SearchRequest(query="x", collection="nope"), Reader())
    with pytest.raises(InvalidRequest):
        knowledge.search_response(SearchRequest(query="x"), Reader())


def passage(n: int, source: str, page: int | None, section: str | None, score: float) -> Passage:
    return Passage(n, "kb", source, f"Doc {n}", section, page, f"text {n}", score=score)


def test_numbered_sources_and_citations_agree() -> None:
    passages = [passage(11, "a.pdf", 3, "Claims", 1.0), passage(12, "b.md", None, "Leave", 0.5)]
    chat = ChatCompletionRequest(
        model="hr-assistant", messages=[Message(role="user", content="What about claims?")]
    )
    augmented = augment_request(chat, passages)
    system = augmented.request.messages[0].text()
    assert "[1] Doc 11 (a.pdf, p. 3, Claims)\ntext 11" in system
    assert "[2] Doc 12 (b.md, Leave)\ntext 12" in system
    assert augmented.question == "What about claims?"
    assert [c.to_dict() for c in augmented.citations] == [
        {"index": 1, "source": "a.pdf", "title": "Doc 11", "page": 3, "section": "Claims",
         "chunk_id": 11, "score": 1.0},
        {"index": 2, "source": "b.md", "title": "Doc 12", "page": None, "section": "Leave",
         "chunk_id": 12, "score": 0.5},
    ]  # fmt: skip
    assert cited_numbers("Yes [2], and also [1][2].") == [2, 1]
    assert sources_footer("It is 25 days [1].", augmented.citations) == ""
    assert sources_footer("It is 25 days.", augmented.citations) == (
        "\n\nSources: [1] a.pdf, p. 3, Claims; [2] b.md, Leave"
    )
    empty = augment_request(chat, [])
    assert "do not know" in empty.request.messages[0].text()
    assert empty.citations == []


def test_config_section_parses_and_rejects_mistakes() -> None:
    section = yaml.safe_load(
        """
        db_path: /tmp/k.db
        chunking: {max_chars: 800, overlap_chars: 100}
        retrieval: {top_k: 4, fusion: rrf}
        collections:
          hr: {description: HR policies, acl: ["team:hr", "user:ceo"]}
        """
    )
    config = msgspec.convert(section, KnowledgeConfig, strict=True)
    assert config.acl_for("hr").key() == "team:hr,user:ceo"
    assert config.acl_for("other").key() == "public"
    assert config.resolved_db_path(Path("/data")) == Path("/tmp/k.db")
    assert KnowledgeConfig().resolved_db_path(Path("/data")) == Path("/data/knowledge.db")
    for bad, problem in [
        ({"chunking": {"max_chars": 500, "overlap_chars": 500}}, "overlap_chars"),
        ({"collections": {"hr": {"acl": ["everyone"]}}}, "not an ACL entry"),
        ({"collections": {"bad name": {}}}, "collection name"),
        ({"retrieval": {"top_k": 0}}, ">= 1"),
        ({"embeding": {}}, "unknown field"),
    ]:
        with pytest.raises(msgspec.ValidationError, match=problem):
            msgspec.convert(bad, KnowledgeConfig, strict=True)
    binding = msgspec.convert({"collection": "hr", "top_k": 3}, RouteKnowledge)
    assert (binding.collection, binding.top_k, binding.sources_footer) == ("hr", 3, True)
