"""The upstream every replica shares: the fast OpenAI fake (chat, streams, models) plus
OpenAI's `/v1/embeddings`, so the load mixes every kind of request without a model."""

from __future__ import annotations

import hashlib

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake

UPSTREAM_KEY = "test-key"
VECTOR_SIZE = 8


def _vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [byte / 255 for byte in digest[:VECTOR_SIZE]]


async def _embeddings(request: Request) -> JSONResponse:
    """OpenAI's embeddings wire format: one vector per input, derived from the input."""
    body = await request.json()
    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
    data = [
        {"object": "embedding", "index": n, "embedding": _vector(str(text))}
        for n, text in enumerate(inputs)
    ]
    tokens = sum(len(str(text).split()) for text in inputs)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return JSONResponse({"object": "list", "data": data, "model": body["model"], "usage": usage})


def create_upstream() -> Starlette:
    """An app factory (also for `uvicorn --factory`, as the benchmark runs it)."""
    chat = create_openai_fake(FakeBehaviour(api_key=UPSTREAM_KEY))
    return Starlette(
        routes=[Route("/v1/embeddings", _embeddings, methods=["POST"]), Mount("/", app=chat)]
    )


def replica_config(upstream_url: str) -> str:
    """The one switchgear.yaml every replica reads: a chat and an embedding model upstream,
    priced at a dollar a token so that a small daily budget runs out within a few requests."""
    return f"""
providers:
  api: {{kind: openai_compat, base_url: "{upstream_url}/v1", api_key_env: UPSTREAM_KEY}}
models:
  - id: gpt-fake
    provider: api
    upstream_model: gpt-4o-mini
    input_price_per_mtok: 1000000
    output_price_per_mtok: 1000000
  - id: embed-fake
    provider: api
    upstream_model: text-embedding-3-small
    kind: embedding
    input_price_per_mtok: 1000000
governance:
  reference_model: gpt-fake
"""
