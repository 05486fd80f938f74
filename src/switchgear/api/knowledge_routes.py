"""Admin API for document collections: create, list, upload (multipart), delete, search.
Thin: validate, call `Knowledge` in a worker thread, convert back; every change is audited,
and so is every search with the auditor scope (`scope: "all"`, every document whatever its
ACL: an operator's way to see everything, which no key can ask for).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchgear.api.admin_routes import admin_gateway, audit_admin_action, json_response
from switchgear.api.body import decode_body, read_body
from switchgear.gateway import Gateway
from switchgear.knowledge.acl import Reader
from switchgear.knowledge.service import Knowledge, missing_collection
from switchgear.schema.admin import CollectionSpec
from switchgear.schema.errors import InvalidRequest, NotFound, PayloadTooLarge
from switchgear.schema.kinds import SearchRequest

MAX_FILES_PER_UPLOAD = 1000
T = TypeVar("T")


class AdminSearch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`POST /admin/knowledge/collections/{c}/search`: what the reader named by `user`,
    `team` and `app` would retrieve (none: public documents only), or with `scope: "all"`
    every document whatever its ACL (audited, with the query)."""

    query: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    top_k: Annotated[int, msgspec.Meta(ge=1, le=50)] | None = None
    mode: Literal["hybrid", "bm25", "vector"] | None = None
    versions: Literal["current", "all"] | None = None
    scope: Literal["all"] | None = None
    user: str | None = None
    team: str | None = None
    app: str | None = None

    def reader(self) -> Reader:
        if self.scope == "all":
            if self.user or self.team or self.app:
                raise InvalidRequest(
                    '`scope: "all"` reads every document; leave out user, team and app.',
                    param="scope",
                )
            return Reader.everything()
        return Reader(user=self.user or None, team=self.team or None, app=self.app or None)


async def _with_knowledge(gateway: Gateway, work: Callable[[Knowledge], T]) -> T:
    """`work` in a worker thread: opening the index and every call on it block on disk."""
    return await asyncio.to_thread(lambda: work(gateway.knowledge()))


def _collection(request: Request) -> str:
    name: str = request.path_params["collection"]
    return name


async def list_collections(request: Request) -> Response:
    gateway = admin_gateway(request)
    found = await _with_knowledge(gateway, lambda k: k.collections())
    return json_response({"object": "list", "data": [dataclasses.asdict(c) for c in found]})


async def create_collection(request: Request) -> Response:
    """`{"name": "hr", "description": "HR policies"}`; creating an existing one updates its
    description. Documents get the ACL given at upload, else the configured default."""
    gateway = admin_gateway(request)
    spec = decode_body(await read_body(request, 65536), CollectionSpec)
    made = await _with_knowledge(
        gateway, lambda k: k.create_collection(spec.name, spec.description)
    )
    detail = {"description": spec.description}
    await audit_admin_action(gateway, "knowledge.create_collection", spec.name, detail)
    return json_response(dataclasses.asdict(made), status=201)


async def list_documents(request: Request) -> Response:
    gateway = admin_gateway(request)
    collection = _collection(request)
    found = await _with_knowledge(gateway, lambda k: k.documents(collection))
    return json_response({"object": "list", "data": [dataclasses.asdict(d) for d in found]})


async def upload_documents(request: Request) -> Response:
    """`multipart/form-data`: one or more `file` parts, optional `acl` fields (each an entry
    or a comma-separated list). The reply is the ingest report, one line per file."""
    gateway = admin_gateway(request)
    collection = _collection(request)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidRequest("Upload documents as multipart/form-data `file` parts.")
    most = gateway.config.knowledge.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > most:
        raise _upload_too_large(most)
    parser = MultiPartParser(
        request.headers, _capped(request.stream(), most), max_files=MAX_FILES_PER_UPLOAD
    )
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise InvalidRequest(f"Unreadable multipart body: {error.message}") from error
    try:
        limit = gateway.config.knowledge.max_file_bytes
        uploads: list[tuple[str, bytes]] = []
        acl: list[str] = []
        metadata: dict[str, str | list[str]] | None = None
        for field, value in form.multi_items():
            if isinstance(value, UploadFile):
                # One byte past the limit is enough for ingest to report the file as too big.
                uploads.append((value.filename or field, await value.read(limit + 1)))
            elif field == "acl":
                acl += [entry for entry in value.split(",") if entry.strip()]
            elif field == "metadata":
                metadata = _metadata_field(value)
    finally:
        await form.close()
    if not uploads:
        raise InvalidRequest("No `file` part in the upload.", param="file")
    report = await _with_knowledge(
        gateway,
        lambda k: k.ingest_uploads(uploads, collection, acl=acl or None, metadata=metadata),
    )
    body = report.to_dict()
    detail = {
        "files": [(f["source"], f["status"]) for f in body["files"]],
        "acl": acl,
        "metadata": metadata,
    }
    await audit_admin_action(gateway, "knowledge.ingest", collection, detail)
    return json_response(body)


def _metadata_field(value: str) -> dict[str, str | list[str]]:
    """The `metadata` form field: a JSON object of strings or lists of strings (version facts
    for every file of the upload; the keys are checked by ingest)."""
    try:
        loaded: Any = json.loads(value)
    except json.JSONDecodeError as error:
        raise InvalidRequest(f"`metadata` is not JSON: {error}", param="metadata") from error
    shapes_ok = isinstance(loaded, dict) and all(
        isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v))
        for v in loaded.values()
    )
    if not shapes_ok:
        raise InvalidRequest(
            "`metadata` must be a JSON object of strings or lists of strings, e.g. "
            '{"effective_date": "2025-01-01", "supersedes": ["travel/2023.md"]}',
            param="metadata",
        )
    checked: dict[str, str | list[str]] = loaded
    return checked


async def search(request: Request) -> Response:
    """Retrieval as a chosen reader would see it, or everything with `scope: "all"`."""
    gateway = admin_gateway(request)
    collection = _collection(request)
    spec = decode_body(await read_body(request, 65536), AdminSearch)
    reader = spec.reader()
    query = SearchRequest(
        query=spec.query,
        collection=collection,
        top_k=spec.top_k,
        mode=spec.mode,
        versions=spec.versions,
    )
    if spec.scope == "all":
        # Audited before the search runs: a search that fails half-way was still asked for.
        detail = {"query": spec.query, "scope": "all", "versions": spec.versions or "current"}
        await audit_admin_action(gateway, "knowledge.search_all", collection, detail)
    body = await _with_knowledge(gateway, lambda k: k.search_response(query, reader))
    return json_response({**body, "scope": spec.scope or "reader"})


async def _capped(stream: AsyncIterator[bytes], most: int) -> AsyncGenerator[bytes, None]:
    """The body as it arrives, refused once it passes `most` bytes (chunked uploads too)."""
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > most:
            raise _upload_too_large(most)
        yield chunk


def _upload_too_large(most: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The upload is larger than knowledge.max_upload_bytes ({most} bytes); "
        "send fewer files at a time.",
        code="request_too_large",
    )


async def delete_document(request: Request) -> Response:
    gateway = admin_gateway(request)
    collection = _collection(request)
    source: str = request.path_params["source"]
    removed = await _with_knowledge(gateway, lambda k: k.delete_documents(collection, [source]))
    if not removed:
        raise NotFound(f"No document `{source}` in `{collection}`.", param="source")
    await audit_admin_action(gateway, "knowledge.delete", collection, {"source": source})
    return json_response({"object": "knowledge.document", "source": source, "deleted": True})


async def delete_collection(request: Request) -> Response:
    gateway = admin_gateway(request)
    collection = _collection(request)
    if not await _with_knowledge(gateway, lambda k: k.delete_collection(collection)):
        raise missing_collection(collection)
    await audit_admin_action(gateway, "knowledge.delete_collection", collection, {})
    return json_response({"object": "knowledge.collection", "name": collection, "deleted": True})


_BASE = "/admin/knowledge/collections"
ROUTES = [
    Route(_BASE, list_collections, methods=["GET"]),
    Route(_BASE, create_collection, methods=["POST"]),
    Route(_BASE + "/{collection}", delete_collection, methods=["DELETE"]),
    Route(_BASE + "/{collection}/documents", list_documents, methods=["GET"]),
    Route(_BASE + "/{collection}/documents", upload_documents, methods=["POST"]),
    Route(_BASE + "/{collection}/search", search, methods=["POST"]),
    Route(_BASE + "/{collection}/documents/{source:path}", delete_document, methods=["DELETE"]),
]
