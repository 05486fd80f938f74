"""Admin API for document collections: create, list, upload (multipart), delete. Thin:
validate, call `Knowledge` in a worker thread, convert back; every change is audited.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import TypeVar

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchgear.api.admin_routes import admin_gateway, audit_admin_action, json_response
from switchgear.api.body import decode_body, read_body
from switchgear.gateway import Gateway
from switchgear.knowledge.service import Knowledge, missing_collection
from switchgear.schema.admin import CollectionSpec
from switchgear.schema.errors import InvalidRequest, NotFound, PayloadTooLarge

MAX_FILES_PER_UPLOAD = 1000
T = TypeVar("T")


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
        for field, value in form.multi_items():
            if isinstance(value, UploadFile):
                # One byte past the limit is enough for ingest to report the file as too big.
                uploads.append((value.filename or field, await value.read(limit + 1)))
            elif field == "acl":
                acl += [entry for entry in value.split(",") if entry.strip()]
    finally:
        await form.close()
    if not uploads:
        raise InvalidRequest("No `file` part in the upload.", param="file")
    report = await _with_knowledge(
        gateway, lambda k: k.ingest_uploads(uploads, collection, acl=acl or None)
    )
    body = report.to_dict()
    detail = {"files": [(f["source"], f["status"]) for f in body["files"]], "acl": acl}
    await audit_admin_action(gateway, "knowledge.ingest", collection, detail)
    return json_response(body)


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
    Route(_BASE + "/{collection}/documents/{source:path}", delete_document, methods=["DELETE"]),
]
