"""`GET /openapi.json`: the request bodies this gateway accepts, as OpenAPI 3.1, generated
from the same msgspec structs that decode them (so the description cannot drift from the
code). Clients and fuzzers (the test suite's) read it."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchgear.api.knowledge_routes import AdminSearch
from switchgear.schema.admin import CollectionSpec, KeySpec
from switchgear.schema.anthropic import CountTokensRequest, MessagesRequest
from switchgear.schema.batches import BatchCreate
from switchgear.schema.kinds import (
    ClassificationRequest,
    EmbeddingsRequest,
    ModerationRequest,
    SearchRequest,
)
from switchgear.schema.requests import ChatCompletionRequest, CompletionRequest
from switchgear.schema.responses import ResponsesRequest
from switchgear.templates.config import TemplateConfig

# (path, method, request body type or None, summary)
OPERATIONS: list[tuple[str, str, type | None, str]] = [
    ("/v1/chat/completions", "post", ChatCompletionRequest, "Chat completion (OpenAI)"),
    ("/v1/completions", "post", CompletionRequest, "Text completion (OpenAI)"),
    ("/v1/embeddings", "post", EmbeddingsRequest, "Embeddings (OpenAI)"),
    ("/v1/moderations", "post", ModerationRequest, "Moderation (OpenAI)"),
    ("/v1/search", "post", SearchRequest, "Retrieval from a knowledge collection"),
    (
        "/v1/classifications",
        "post",
        ClassificationRequest,
        "Classify text into a route's labels (Switchgear's own)",
    ),
    # The body is NDJSON (one event per line), the answer server-sent events: no JSON schema.
    ("/v1/feeds/{route}", "post", None, "Commentary on a stream of events (Switchgear's own)"),
    ("/v1/responses", "post", ResponsesRequest, "Create a response (OpenAI Responses API)"),
    ("/v1/responses/{response_id}", "get", None, "A stored response"),
    ("/v1/responses/{response_id}", "delete", None, "Delete a stored response"),
    ("/v1/responses/{response_id}/input_items", "get", None, "A stored response's input"),
    ("/v1/messages", "post", MessagesRequest, "Create a message (Anthropic Messages API)"),
    ("/v1/messages/count_tokens", "post", CountTokensRequest, "Count a prompt's tokens"),
    # multipart/form-data: `file` (JSONL, one request a line) and `purpose: batch`
    ("/v1/files", "post", None, "Upload a file (OpenAI Files API)"),
    ("/v1/files", "get", None, "The caller's files"),
    ("/v1/files/{file_id}", "get", None, "One file"),
    ("/v1/files/{file_id}", "delete", None, "Delete a file"),
    ("/v1/files/{file_id}/content", "get", None, "A file's content"),
    ("/v1/batches", "post", BatchCreate, "Create a batch (OpenAI Batch API)"),
    ("/v1/batches", "get", None, "The caller's batches"),
    ("/v1/batches/{batch_id}", "get", None, "One batch"),
    ("/v1/batches/{batch_id}/cancel", "post", None, "Cancel a batch"),
    ("/v1/models", "get", None, "Models this caller may use"),
    ("/v1/models/{model}", "get", None, "One model"),
    ("/admin/keys", "post", KeySpec, "Create a virtual key (shown once)"),
    ("/admin/keys", "get", None, "List virtual keys"),
    ("/admin/keys/{key_id}", "patch", KeySpec, "Change a key"),
    ("/admin/usage", "get", None, "Usage and cost report"),
    ("/admin/models", "get", None, "The model registry"),
    ("/admin/routes", "get", None, "Routes and live target health"),
    ("/admin/templates", "get", None, "Every version of every prompt template"),
    ("/admin/templates/{name}", "put", TemplateConfig, "A new version of a template (audited)"),
    ("/admin/audit/verify", "get", None, "Verify the audit chain"),
    ("/admin/knowledge/collections", "post", CollectionSpec, "Create a collection"),
    ("/admin/knowledge/collections", "get", None, "List collections"),
    (
        "/admin/knowledge/collections/{collection}/search",
        "post",
        AdminSearch,
        "Search as a chosen team/user/app, or every document with scope all (audited)",
    ),
    ("/admin/knowledge/connectors", "get", None, "Each knowledge connector's sync status"),
    ("/admin/knowledge/connectors/{name}/sync", "post", None, "Sync a connector now (audited)"),
]
_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
            "required": ["message", "type"],
        }
    },
}


def openapi_document() -> dict[str, Any]:
    bodies = [t for _, _, t, _ in OPERATIONS if t is not None]
    schemas, components = msgspec.json.schema_components(
        bodies, ref_template="#/components/schemas/{name}"
    )
    refs = dict(zip(bodies, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for path, method, body, summary in OPERATIONS:
        operation: dict[str, Any] = {
            "summary": summary,
            "responses": {
                "200": {"description": "OK"},
                "default": {
                    "description": "An error: OpenAI's shape, Anthropic's under /v1/messages",
                    "content": {"application/json": {"schema": _ERROR}},
                },
            },
        }
        if body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[body]}},
            }
        parameters = [p.strip("{}") for p in path.split("/") if p.startswith("{")]
        if parameters:
            operation["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                for p in parameters
            ]
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Switchgear", "version": "1"},
        "paths": paths,
        "components": {"schemas": components},
    }


_DOCUMENT: bytes | None = None


async def openapi(request: Request) -> Response:
    global _DOCUMENT
    if _DOCUMENT is None:
        _DOCUMENT = msgspec.json.encode(openapi_document())
    return Response(_DOCUMENT, media_type="application/json")


ROUTES = [Route("/openapi.json", openapi, methods=["GET"])]
