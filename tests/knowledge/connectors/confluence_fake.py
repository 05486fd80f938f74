"""A Confluence Cloud stand-in that speaks the documented shapes: v2 pages of a space with
`body-format=storage` and cursor pagination (`_links.next` and a `Link` header), v1 read
restrictions by operation, v2 page attachments with `downloadLink`, and basic auth."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class FakePage:
    id: str
    title: str
    body: str
    space_id: str = "98306"
    parent_id: str | None = None
    version: int = 1
    groups: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    attachments: dict[str, bytes] = field(default_factory=dict)  # file name -> content


@dataclass
class FakeConfluence:
    email: str
    token: str
    pages: dict[str, FakePage] = field(default_factory=dict)
    fail_with: int | None = None  # answer every listing with this status
    requests: list[str] = field(default_factory=list)

    def add(self, page: FakePage) -> None:
        self.pages[page.id] = page


def _page_json(page: FakePage) -> dict[str, Any]:
    return {
        "id": page.id,
        "status": "current",
        "title": page.title,
        "spaceId": page.space_id,
        "parentId": page.parent_id,
        "parentType": "page" if page.parent_id else None,
        "authorId": "5b10ac8d82e05b22cc7d4ef5",
        "createdAt": "2025-01-15T09:30:00.000Z",
        "version": {
            "createdAt": "2025-03-01T10:00:00.000Z",
            "message": "",
            "number": page.version,
            "minorEdit": False,
            "authorId": "5b10ac8d82e05b22cc7d4ef5",
        },
        "body": {"storage": {"representation": "storage", "value": page.body}},
        "_links": {"webui": f"/spaces/ENG/pages/{page.id}", "tinyui": f"/x/{page.id}"},
    }


def _attachment_json(page: FakePage, name: str, content: bytes) -> dict[str, Any]:
    media = "text/plain" if name.endswith(".txt") else "image/png"
    download = f"/download/attachments/{page.id}/{name}?version=1&api=v2"
    return {
        "id": f"att{page.id}{len(name)}",
        "status": "current",
        "title": name,
        "createdAt": "2025-02-01T08:00:00.000Z",
        "pageId": page.id,
        "mediaType": media,
        "mediaTypeDescription": media,
        "comment": "",
        "fileId": f"file-{page.id}-{name}",
        "fileSize": len(content),
        "webuiLink": f"/pages/viewpageattachments.action?pageId={page.id}",
        "downloadLink": download,
        "version": {"createdAt": "2025-02-01T08:00:00.000Z", "number": 1, "minorEdit": False},
        "_links": {
            "webui": f"/pages/viewpageattachments.action?pageId={page.id}",
            "download": download,
        },
    }


def _paged(request: Request, items: list[dict[str, Any]], path: str) -> Response:
    """Cursor pagination as the v2 API does it: an opaque cursor in the next link."""
    limit = int(request.query_params.get("limit", "25"))
    cursor = request.query_params.get("cursor")
    start = int(base64.urlsafe_b64decode(cursor).decode()) if cursor else 0
    chunk = items[start : start + limit]
    body: dict[str, Any] = {"results": chunk, "_links": {"base": f"{request.base_url}wiki"}}
    headers = {}
    if start + limit < len(items):
        token = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
        extra = "&body-format=storage" if "body-format" in request.query_params else ""
        link = f"{path}?limit={limit}&cursor={token}{extra}"
        body["_links"]["next"] = link
        headers["Link"] = f'<{link}>; rel="next", <{request.base_url}wiki>; rel="base"'
    return JSONResponse(body, headers=headers)


def create_confluence_fake(state: FakeConfluence) -> Starlette:
    expected = "Basic " + base64.b64encode(f"{state.email}:{state.token}".encode()).decode()

    def guard(request: Request) -> Response | None:
        state.requests.append(request.url.path)
        if request.headers.get("authorization") != expected:
            return JSONResponse({"code": 401, "message": "Unauthorized"}, status_code=401)
        if state.fail_with is not None:
            return JSONResponse(
                {"errors": [{"status": state.fail_with}]}, status_code=state.fail_with
            )
        return None

    async def space_pages(request: Request) -> Response:
        if (refused := guard(request)) is not None:
            return refused
        space = request.path_params["space_id"]
        items = [_page_json(p) for p in state.pages.values() if p.space_id == space]
        if request.query_params.get("body-format") != "storage":
            for item in items:
                item.pop("body")
        return _paged(request, items, f"/wiki/api/v2/spaces/{space}/pages")

    async def restriction(request: Request) -> Response:
        if (refused := guard(request)) is not None:
            return refused
        page = state.pages.get(request.path_params["page_id"])
        if page is None:
            return JSONResponse({"statusCode": 404, "message": "No content"}, status_code=404)
        users = [{"type": "known", "accountId": a, "displayName": a} for a in page.users]
        groups = [{"type": "group", "name": g, "id": f"g-{g}"} for g in page.groups]
        return JSONResponse(
            {
                "operation": "read",
                "restrictions": {
                    "user": {"results": users, "start": 0, "limit": 100, "size": len(users)},
                    "group": {"results": groups, "start": 0, "limit": 100, "size": len(groups)},
                },
                "_expandable": {"content": f"/rest/api/content/{page.id}"},
                "_links": {"base": f"{request.base_url}wiki", "context": "/wiki"},
            }
        )

    async def attachments(request: Request) -> Response:
        if (refused := guard(request)) is not None:
            return refused
        page = state.pages[request.path_params["page_id"]]
        items = [_attachment_json(page, n, c) for n, c in page.attachments.items()]
        return _paged(request, items, f"/wiki/api/v2/pages/{page.id}/attachments")

    async def download(request: Request) -> Response:
        if (refused := guard(request)) is not None:
            return refused
        page = state.pages[request.path_params["page_id"]]
        return Response(page.attachments[request.path_params["name"]])

    return Starlette(
        routes=[
            Route("/wiki/api/v2/spaces/{space_id}/pages", space_pages),
            Route("/wiki/rest/api/content/{page_id}/restriction/byOperation/read", restriction),
            Route("/wiki/api/v2/pages/{page_id}/attachments", attachments),
            Route("/wiki/download/attachments/{page_id}/{name}", download),
        ]
    )
