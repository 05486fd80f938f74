"""The knowledge page: collections, their documents with ACLs, upload, delete, and a search
as a chosen team/app/user would see it (the ACL filter made visible). Changes are audited."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from switchgear.api.connector_routes import connector_hub
from switchgear.console.auth_routes import audit_console_action
from switchgear.console.web import changing_session, gateway_of, page_session, render, text_field
from switchgear.knowledge.acl import Reader
from switchgear.knowledge.connectors.hub import SyncRunning, UnknownConnector
from switchgear.schema.errors import InvalidRequest, PayloadTooLarge


async def knowledge_page(request: Request) -> Response:
    session = page_session(request)
    if isinstance(session, Response):
        return session
    gateway = gateway_of(request)
    params = request.query_params
    query = params.get("q", "")[:500]
    chosen = params.get("collection", "")[:100]
    reader = Reader(
        user=params.get("user", "")[:100] or None,
        team=params.get("team", "")[:100] or None,
        app=params.get("app", "")[:100] or None,
    )

    def read() -> dict[str, Any]:
        knowledge = gateway.knowledge()
        collections = knowledge.collections()
        documents = {c.name: knowledge.documents(c.name) for c in collections}
        passages = []
        if query and chosen in documents:
            passages = [dataclasses.asdict(p) for p in knowledge.search(query, chosen, reader)]
        connectors = connector_hub(gateway).statuses()
        return {
            "collections": collections,
            "documents": documents,
            "passages": passages,
            "connectors": connectors,
        }

    found = await asyncio.to_thread(read)
    return render(
        request,
        "knowledge.html",
        session,
        **found,
        query=query,
        chosen=chosen,
        reader=reader,
        searched=bool(query and chosen),
    )


async def create_collection(request: Request) -> Response:
    session, form = await changing_session(request)
    name = text_field(form, "name", 100)
    description = text_field(form, "description", 500)
    gateway = gateway_of(request)
    await asyncio.to_thread(lambda: gateway.knowledge().create_collection(name, description))
    await audit_console_action(
        request, session.name, "knowledge.create_collection", name, {"description": description}
    )
    return RedirectResponse("/console/knowledge", 303)


async def upload(request: Request) -> Response:
    gateway = gateway_of(request)
    most = gateway.config.knowledge.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > most:
        raise PayloadTooLarge(
            f"The upload is larger than knowledge.max_upload_bytes ({most} bytes).",
            code="request_too_large",
        )
    session, form = await changing_session(request)
    collection = text_field(form, "collection", 100)
    acl = [e.strip() for e in text_field(form, "acl", 1000).split(",") if e.strip()]
    limit = gateway.config.knowledge.max_file_bytes
    uploads = [
        (value.filename or "upload", await value.read(limit + 1))
        for value in form.getlist("file")
        if isinstance(value, UploadFile) and value.filename
    ]
    if not uploads:
        raise InvalidRequest("Choose a file to upload.", param="file")
    report = await asyncio.to_thread(
        lambda: gateway.knowledge().ingest_uploads(uploads, collection, acl=acl or None)
    )
    body = report.to_dict()
    detail = {"files": [(f["source"], f["status"]) for f in body["files"]], "acl": acl}
    await audit_console_action(request, session.name, "knowledge.ingest", collection, detail)
    return RedirectResponse("/console/knowledge", 303)


async def delete_document(request: Request) -> Response:
    session, form = await changing_session(request)
    collection, source = text_field(form, "collection", 100), text_field(form, "source", 1000)
    gateway = gateway_of(request)
    removed = await asyncio.to_thread(
        lambda: gateway.knowledge().delete_documents(collection, [source])
    )
    if removed:
        detail = {"source": source}
        await audit_console_action(request, session.name, "knowledge.delete", collection, detail)
    return RedirectResponse("/console/knowledge", 303)


async def sync_connector(request: Request) -> Response:
    """The connectors table's "Sync now": one run, then back to the page showing its status."""
    session, form = await changing_session(request)
    name = text_field(form, "name", 100)
    try:
        report = await asyncio.to_thread(connector_hub(gateway_of(request)).sync, name)
    except UnknownConnector as error:
        raise InvalidRequest(f"No knowledge connector `{name}`.", param="name") from error
    except SyncRunning:
        return RedirectResponse("/console/knowledge", 303)  # the table shows it running
    detail = {"collection": report.collection, "error": report.error, **report.counts}
    await audit_console_action(request, session.name, "knowledge.connector_sync", name, detail)
    return RedirectResponse("/console/knowledge", 303)


ROUTES = [
    Route("/console/knowledge", knowledge_page, methods=["GET"]),
    Route("/console/knowledge/connectors/sync", sync_connector, methods=["POST"]),
    Route("/console/knowledge/collections", create_collection, methods=["POST"]),
    Route("/console/knowledge/documents", upload, methods=["POST"]),
    Route("/console/knowledge/documents/delete", delete_document, methods=["POST"]),
]
