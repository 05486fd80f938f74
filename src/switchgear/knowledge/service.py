"""`Knowledge`: the one object the gateway holds. Built from the `knowledge:` config section; every
method is plain blocking code (SQLite, the embedding model), so async callers use
`await asyncio.to_thread(knowledge.search, ...)`. The model loads on first use (or `warm_up`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from switchgear.knowledge.acl import Acl, AclError, Reader
from switchgear.knowledge.cite import Augmented, augment_request, question_of
from switchgear.knowledge.config import (
    KnowledgeConfig,
    RetrievalConfig,
    RouteKnowledge,
    check_collection_name,
)
from switchgear.knowledge.embedder import Embedder, create_embedder
from switchgear.knowledge.embeddings_api import embeddings_body, search_body
from switchgear.knowledge.ingest import (
    IngestSettings,
    ProgressCallback,
    SourceFile,
    ingest_files,
    select_files,
)
from switchgear.knowledge.records import IngestReport, Passage
from switchgear.knowledge.rerank import Complete, rerank
from switchgear.knowledge.retrieve import Mode, search
from switchgear.knowledge.store import CollectionInfo, DocumentInfo, KnowledgeStore
from switchgear.knowledge.versions import MetadataError, MetadataInput, Versions, parse_metadata
from switchgear.schema.errors import InvalidRequest, NotFound
from switchgear.schema.kinds import EmbeddingsRequest, SearchRequest
from switchgear.schema.requests import ChatCompletionRequest

AclInput = Acl | Sequence[str] | None
# Optional filter over retrieved passages before they reach the prompt (the injection guard).
PassageScreen = Callable[[list[Passage]], list[Passage]]


class Knowledge:
    def __init__(self, config: KnowledgeConfig, store: KnowledgeStore, embedder: Embedder) -> None:
        self.config = config
        self.store = store
        self.embedder = embedder
        store.bind_model(embedder.model_id, embedder.dimensions)
        for name, collection in config.collections.items():
            store.ensure_collection(name, collection.description)

    @classmethod
    def open(cls, config: KnowledgeConfig, data_dir: Path) -> Knowledge:
        """The configured backend: SQLite at `<data_dir>/knowledge.db` (or `db_path`), or
        Postgres at the DSN in `$<postgres_dsn_env>`. Imports only the backend in use."""
        store: KnowledgeStore
        if config.backend == "postgres":
            from switchgear.knowledge.postgres_index import PostgresKnowledgeStore

            store = PostgresKnowledgeStore(config.postgres_dsn())
        else:
            from switchgear.knowledge.sqlite_index import SqliteKnowledgeStore

            store = SqliteKnowledgeStore(config.resolved_db_path(data_dir))
        embedding = config.embedding
        embedder = create_embedder(
            embedding.model, embedding.batch_size, embedding.threads, embedding.max_tokens
        )
        return cls(config, store, embedder)

    def warm_up(self) -> None:
        """Loads the embedding model now (start-up / readiness) instead of on first use."""
        self.embedder.embed(["warm up"])

    # -- ingest ------------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[Path | str],
        collection: str,
        *,
        acl: AclInput = None,
        root: Path | None = None,
        remove_missing: bool = True,
        progress: ProgressCallback | None = None,
        metadata: MetadataInput | None = None,
    ) -> IngestReport:
        """Files and folders from disk (the CLI). Files gone from an ingested folder are
        removed from the index unless `remove_missing` is False. `metadata` (version facts,
        `knowledge/versions.py`) applies to every file, over its own front matter."""
        resolved_acl = self._acl(collection, acl)
        _check_metadata(metadata)
        selection = select_files(paths, root)
        report = IngestReport(collection, files=list(selection.missing))
        return ingest_files(
            self.store,
            self.embedder,
            collection,
            [replace(f, metadata=metadata) for f in selection.files],
            resolved_acl,
            self.ingest_settings(),
            remove_missing_under=selection.folders if remove_missing else (),
            progress=progress,
            report=report,
        )

    def ingest_uploads(
        self,
        uploads: Sequence[tuple[str, bytes]],
        collection: str,
        *,
        acl: AclInput = None,
        progress: ProgressCallback | None = None,
        metadata: MetadataInput | None = None,
    ) -> IngestReport:
        """Uploaded files (the admin API's multipart form): `(file name, bytes)` each;
        `metadata` as for `ingest`."""
        resolved_acl = self._acl(collection, acl)
        _check_metadata(metadata)
        files = [
            SourceFile(_upload_name(name), data=data, metadata=metadata) for name, data in uploads
        ]
        return ingest_files(
            self.store,
            self.embedder,
            collection,
            files,
            resolved_acl,
            self.ingest_settings(),
            progress=progress,
        )

    def delete_documents(self, collection: str, sources: Sequence[str]) -> list[str]:
        """Removes documents (and every chunk, so they can never be cited again)."""
        return [s for s in sources if self.store.delete_document(collection, s)]

    def delete_collection(self, collection: str) -> bool:
        """Removes a collection with all its documents and chunks."""
        return self.store.delete_collection(collection)

    def collections(self) -> list[CollectionInfo]:
        return self.store.collections()

    def create_collection(self, name: str, description: str = "") -> CollectionInfo:
        """Creates a collection, or updates the description of an existing one."""
        try:
            check_collection_name(name)
        except ValueError as error:
            raise InvalidRequest(str(error), param="name") from error
        self.store.ensure_collection(name, description)
        return next(c for c in self.store.collections() if c.name == name)

    def documents(self, collection: str) -> list[DocumentInfo]:
        self._require(collection)
        return self.store.documents(collection)

    # -- retrieval ---------------------------------------------------------------------------

    def search(
        self,
        query: str,
        collection: str,
        reader: Reader,
        *,
        top_k: int | None = None,
        mode: Mode | None = None,
        versions: Versions = "current",
    ) -> list[Passage]:
        self._require(collection)
        retrieval = self.config.retrieval
        return search(
            self.store,
            self.embedder,
            collection,
            query,
            reader,
            top_k=top_k or retrieval.top_k,
            candidates=retrieval.candidates,
            mode=mode or retrieval.mode,
            fusion=retrieval.fusion,
            vector_weight=self.config.vector_weight_for(
                _language(query, retrieval), self.embedder.model_id
            ),
            rrf_k=retrieval.rrf_k,
            versions=versions,
            max_per_document=retrieval.max_passages_per_document,
        )

    async def augment(
        self,
        request: ChatCompletionRequest,
        binding: RouteKnowledge,
        reader: Reader,
        *,
        screen: PassageScreen | None = None,
        complete: Complete | None = None,
    ) -> Augmented:
        """The pipeline's knowledge step: retrieve for the last user message, put the numbered
        sources into the prompt, return the new request and its citations. Retrieval runs in
        a worker thread; with a `binding.rerank_route`, `complete` sends the rerank prompt
        through that route. Screening comes before reranking, so a passage the screen drops
        never reaches the reranking model either; a screen retrieves spare passages to make
        up for drops."""
        question = question_of(request)
        rerank_with = complete if binding.rerank_route else None
        wanted = binding.top_k or self.config.retrieval.top_k
        fetch = max(wanted, binding.rerank_candidates) if rerank_with else wanted
        if screen is not None:
            fetch += max(2, wanted // 2)
        passages = await asyncio.to_thread(
            lambda: self.search(
                question,
                binding.collection,
                reader,
                top_k=fetch,
                mode=binding.mode,
                versions=binding.versions,
            )
        )
        if screen is not None:
            passages = screen(passages)
        if rerank_with is not None:
            passages = await rerank(question, passages, rerank_with, wanted)
        return augment_request(request, passages[:wanted])

    def embeddings(self, request: EmbeddingsRequest) -> dict[str, Any]:
        """The `/v1/embeddings` response body; `model` must name this embedder."""
        names = {self.config.embedding.served_as, self.config.embedding.model}
        if request.model not in names:
            raise NotFound(
                f"The model `{request.model}` does not exist or is not an embedding model "
                f"(available: {', '.join(sorted(names))}).",
                param="model",
                code="model_not_found",
            )
        return embeddings_body(request, self.embedder, self.config.embedding.served_as)

    def search_response(
        self, request: SearchRequest, reader: Reader, bound: RouteKnowledge | None = None
    ) -> dict[str, Any]:
        """The `/v1/search` body. `bound`: the binding of `request.model`, if the lead resolved
        one; otherwise `request.collection` is used."""
        collection = request.collection or (bound.collection if bound else None)
        if not collection:
            raise InvalidRequest(
                "Name a `collection`, or a `model` bound to one.", param="collection"
            )
        passages = self.search(
            request.query,
            collection,
            reader,
            top_k=request.top_k or (bound.top_k if bound else None),
            mode=request.mode or (bound.mode if bound else None),
            versions=request.versions or (bound.versions if bound else "current"),
        )
        return search_body(request.query, collection, passages)

    def close(self) -> None:
        self.store.close()

    # -- helpers -----------------------------------------------------------------------------

    def ingest_settings(self) -> IngestSettings:
        """How files are chunked and bounded (uploads, the CLI and connectors alike)."""
        c = self.config
        return IngestSettings(
            max_chars=c.chunking.max_chars,
            overlap_chars=c.chunking.overlap_chars,
            merge_sections=c.chunking.merge_sections,
            max_file_bytes=c.max_file_bytes,
            max_chunks_per_file=c.max_chunks_per_file,
        )

    def _acl(self, collection: str, acl: AclInput) -> Acl:
        try:
            check_collection_name(collection)
        except ValueError as error:
            raise InvalidRequest(str(error), param="collection") from error
        try:
            if isinstance(acl, Acl):
                resolved = acl
            elif acl is not None:
                resolved = Acl.parse(acl)
            else:
                resolved = self.config.acl_for(collection)
        except AclError as error:
            raise InvalidRequest(str(error), param="acl") from error
        configured = self.config.collections.get(collection)
        self.store.ensure_collection(collection, configured.description if configured else "")
        return resolved

    def _require(self, collection: str) -> None:
        if not self.store.has_collection(collection):
            raise missing_collection(collection)


def _check_metadata(metadata: MetadataInput | None) -> None:
    try:
        parse_metadata(metadata)
    except MetadataError as error:
        raise InvalidRequest(str(error), param="metadata") from error


def missing_collection(collection: str) -> NotFound:
    return NotFound(
        f"No knowledge collection `{collection}`.", param="collection", code="collection_not_found"
    )


def _language(query: str, retrieval: RetrievalConfig) -> str | None:
    """The question's language, detected only when a weight per language is configured."""
    if not retrieval.vector_weight_by_language:
        return None
    from switchgear.routing.language import DETECTOR  # routing imports knowledge's config

    return DETECTOR.detect(query)


def _upload_name(name: str) -> str:
    """An uploaded file's name as its source: path separators kept, no `..` or leading `/`."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return "/".join(parts) or "upload"
