"""A Microsoft Graph stand-in for one drive, in the documented JSON shapes: `root/delta`
paged by `@odata.nextLink` and ending in `@odata.deltaLink`, deleted items with the `deleted`
facet (a deleted folder reported alone, as OneDrive does), sharing changes shown only with
`Prefer: deltashowsharingchanges`, `410 resyncRequired` for an expired link, item
`permissions` (`grantedToV2`, `grantedToIdentitiesV2`, sharing links), and `/content`
answered with a 302 to a pre-authenticated download URL. Bearer auth."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

PAGE = 2  # items per delta page: even a small drive takes several round trips


@dataclass
class FakeItem:
    name: str
    parent: str = "root"
    content: bytes | None = None  # None: a folder
    grants: list[dict[str, Any]] = field(default_factory=list)
    version: int = 1


@dataclass
class FakeDrive:
    token: str
    drive_id: str = "b!kDrive"
    items: dict[str, FakeItem] = field(default_factory=dict)
    # (sequence number, item id, what happened: "changed", "shared" or "deleted")
    log: list[tuple[int, str, str]] = field(default_factory=list)
    fail_with: int | None = None
    expire_links: bool = False
    delta_calls: int = 0

    def touch(self, item_id: str, what: str = "changed") -> None:
        self.log.append((len(self.log) + 1, item_id, what))

    def put(self, item_id: str, item: FakeItem) -> None:
        self.items[item_id] = item
        self.touch(item_id)

    def delete(self, item_id: str) -> None:
        self.items.pop(item_id)
        for child in [i for i, it in self.items.items() if it.parent == item_id]:
            self.items.pop(child)  # gone with the folder, but not reported on their own
        self.touch(item_id, "deleted")


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _item_json(drive: FakeDrive, item_id: str, item: FakeItem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item_id,
        "name": item.name,
        "eTag": f'"{{{item_id}}},{item.version}"',
        "cTag": f'"c:{{{item_id}}},{item.version}"',
        "lastModifiedDateTime": "2025-04-01T09:00:00Z",
        "parentReference": {
            "driveId": drive.drive_id,
            "driveType": "documentLibrary",
            "id": item.parent,
        },
    }
    if item.content is None:
        body["folder"] = {"childCount": sum(1 for i in drive.items.values() if i.parent == item_id)}
    else:
        body["file"] = {"mimeType": "text/markdown"}
        body["size"] = len(item.content)
    return body


def _token(since: int, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([since, offset]).encode()).decode()


def create_graph_fake(drive: FakeDrive) -> Starlette:
    def refused(request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {drive.token}":
            return _error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        if drive.fail_with is not None:
            return _error(drive.fail_with, "generalException", "An unspecified error occurred.")
        return None

    async def delta(request: Request) -> Response:
        if (problem := refused(request)) is not None:
            return problem
        drive.delta_calls += 1
        raw = request.query_params.get("token")
        since, offset = json.loads(base64.urlsafe_b64decode(raw)) if raw else (0, 0)
        if raw and since and drive.expire_links:
            return _error(410, "resyncRequired", "Resync required. Replace any local items.")
        sharing = "deltashowsharingchanges" in request.headers.get("prefer", "")
        if since == 0:  # a full enumeration: the root, then every item as it is now
            entries = [{"id": "root", "name": "root", "root": {}, "folder": {"childCount": 0}}]
            entries += [_item_json(drive, i, it) for i, it in drive.items.items()]
        else:
            entries = []
            latest: dict[str, str] = {}
            for _, item_id, what in drive.log[since:]:
                if what != "shared" or sharing:
                    latest[item_id] = "deleted" if what == "deleted" else "changed"
            for item_id, what in latest.items():
                if what == "deleted" or item_id not in drive.items:
                    entries.append(
                        {
                            "id": item_id,
                            "deleted": {"state": "deleted"},
                            "parentReference": {"driveId": drive.drive_id},
                        }
                    )
                else:
                    entry = _item_json(drive, item_id, drive.items[item_id])
                    if sharing:
                        entry["@microsoft.graph.sharedChanged"] = "True"
                    entries.append(entry)
        page = entries[offset : offset + PAGE]
        base = f"{request.base_url}v1.0/drives/{drive.drive_id}/root/delta"
        body: dict[str, Any] = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(driveItem)",
            "value": page,
        }
        if offset + PAGE < len(entries):
            body["@odata.nextLink"] = f"{base}?token={_token(since, offset + PAGE)}"
        else:
            body["@odata.deltaLink"] = f"{base}?token={_token(len(drive.log), 0)}"
        return JSONResponse(body)

    async def permissions(request: Request) -> Response:
        if (problem := refused(request)) is not None:
            return problem
        item = drive.items.get(request.path_params["item_id"])
        if item is None:
            return _error(404, "itemNotFound", "The resource could not be found.")
        value = [{"id": f"p{n}", "roles": ["read"], **grant} for n, grant in enumerate(item.grants)]
        value.append(  # an organisation-wide view link: not a person, never an ACL entry
            {
                "id": "link",
                "roles": ["read"],
                "link": {
                    "scope": "organization",
                    "type": "view",
                    "webUrl": "https://contoso.sharepoint.com/:w:/s/x",
                },
            }
        )
        return JSONResponse({"@odata.context": "permissions", "value": value})

    async def content(request: Request) -> Response:
        if (problem := refused(request)) is not None:
            return problem
        item_id = request.path_params["item_id"]
        return RedirectResponse(f"{request.base_url}download/{item_id}?tempauth=abc", 302)

    async def download(request: Request) -> Response:
        item = drive.items[request.path_params["item_id"]]
        return Response(item.content or b"")

    prefix = "/v1.0/drives/{drive_id}"
    return Starlette(
        routes=[
            Route(prefix + "/root/delta", delta),
            Route(prefix + "/items/{item_id}/permissions", permissions),
            Route(prefix + "/items/{item_id}/content", content),
            Route("/download/{item_id}", download),
        ]
    )


def user(user_id: str, email: str) -> dict[str, Any]:
    return {"grantedToV2": {"user": {"id": user_id, "displayName": email, "email": email}}}


def group(group_id: str, name: str) -> dict[str, Any]:
    return {"grantedToV2": {"group": {"id": group_id, "displayName": name}}}
