"""`POST /v1/embeddings` in the OpenAI format, and `POST /v1/search`, as plain functions:
request struct in, response body (a dict ready for JSON) out. Errors are `InvalidRequest`.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import numpy as np

from switchgear.knowledge.embedder import Embedder
from switchgear.knowledge.records import Passage
from switchgear.schema.errors import InvalidRequest
from switchgear.schema.kinds import EmbeddingsRequest

MAX_INPUTS = 2048


def embedding_inputs(request: EmbeddingsRequest, embedder: Embedder) -> list[str]:
    """The texts to embed, validated the way OpenAI validates them."""
    texts: list[str]
    if isinstance(request.input, str):
        texts = [request.input]
    elif all(isinstance(item, str) for item in request.input):
        texts = list(request.input)
    else:
        raise InvalidRequest(
            "This model takes text only: `input` must be a string or a list of strings "
            "(token-id input is not supported).",
            param="input",
        )
    if not texts:
        raise InvalidRequest("`input` must not be an empty list.", param="input")
    if len(texts) > MAX_INPUTS:
        raise InvalidRequest(f"`input` may hold at most {MAX_INPUTS} items.", param="input")
    for index, text in enumerate(texts):
        if not text:
            raise InvalidRequest(f"`input[{index}]` must not be an empty string.", param="input")
    if request.dimensions is not None and request.dimensions != embedder.dimensions:
        raise InvalidRequest(
            f"This model only produces {embedder.dimensions} dimensions.", param="dimensions"
        )
    return texts


def embeddings_body(
    request: EmbeddingsRequest, embedder: Embedder, model_name: str | None = None
) -> dict[str, Any]:
    """The exact OpenAI response body. Blocking (it runs the model): call it in a thread.
    Inputs longer than the model's window (`max_tokens` word pieces) are truncated."""
    texts = embedding_inputs(request, embedder)
    vectors = embedder.embed(texts)
    tokens = sum(embedder.count_tokens(texts))
    data = [
        {
            "object": "embedding",
            "index": index,
            "embedding": _encode(vector, request.encoding_format),
        }
        for index, vector in enumerate(vectors)
    ]
    return {
        "object": "list",
        "data": data,
        "model": model_name or request.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _encode(vector: np.ndarray[Any, Any], encoding_format: str) -> list[float] | str:
    if encoding_format == "base64":
        # Little-endian float32 bytes: what the openai client decodes with numpy.
        return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
    return [float(x) for x in vector]


def search_body(query: str, collection: str, passages: Sequence[Passage]) -> dict[str, Any]:
    return {
        "object": "list",
        "collection": collection,
        "query": query,
        "data": [
            {
                "object": "search.result",
                "index": n,
                "chunk_id": p.chunk_id,
                "score": round(p.score, 6),
                "source": p.source,
                "title": p.title,
                "page": p.page,
                "section": p.section,
                "text": p.text,
                "bm25_rank": p.bm25_rank,
                "vector_rank": p.vector_rank,
            }
            for n, p in enumerate(passages, start=1)
        ],
    }
