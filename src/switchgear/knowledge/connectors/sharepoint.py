"""SharePoint document libraries and OneDrive through Microsoft Graph, with a bearer token.

Changes come from `GET /drives/{id}/root/delta`: the first sync enumerates the drive (pages
joined by `@odata.nextLink`, the last one ending in `@odata.deltaLink`); later syncs start from
the saved `@odata.deltaLink` and get only what changed. Deleted items carry the `deleted`
facet (a deleted folder takes the files under it along); with the `Prefer:
deltashowsharingchanges` header, an item whose sharing changed is in the delta too, so its
permissions (`GET /drives/{id}/items/{item}/permissions`) are read again. A 410 (`resync
required`) starts over from a full enumeration.

The drive's state (each file's name, parent, cTag and principals, and the delta link) is kept
in a JSON snapshot in the data folder, saved only after a complete delta, so a sync that fails
half-way repeats from the last good link. The engine gets the whole listing from it: a file's
version token is its `cTag` (content only), its ACL the direct grants on it (`grantedToV2` and
`grantedToIdentitiesV2` users and groups; sharing links are not people and are ignored;
a file nobody is granted gets the connector's default).
Sources are `<connector>/<item id>/<file name>`; content comes from `/items/{id}/content`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from switchgear.knowledge.acl import Acl, AclError
from switchgear.knowledge.connectors.base import RemoteDocument, SourceError
from switchgear.knowledge.connectors.config import SharePointConnectorConfig
from switchgear.knowledge.readers import supported_suffixes

TIMEOUT_S = 60.0
PREFER = "deltashowremovedasdeleted, deltatraversepermissiongaps, deltashowsharingchanges"
Item = dict[str, Any]  # snapshot entry: name, parent, folder, ctag, acl (principal list)


class SharePointConnector:
    def __init__(
        self,
        name: str,
        config: SharePointConnectorConfig,
        token: str,
        fallback: Acl,
        snapshot: Path,
    ) -> None:
        self.name = name
        self.config = config
        self.token = token
        self.fallback = fallback
        self.snapshot = snapshot
        self.graph = config.graph_url.rstrip("/")

    def list_documents(self) -> Iterator[RemoteDocument]:
        import httpx

        items, link = self._load()
        headers = {"Authorization": f"Bearer {self.token}", "Prefer": PREFER}
        with httpx.Client(headers=headers, timeout=TIMEOUT_S, follow_redirects=True) as client:
            try:
                items, link = self._apply_delta(client, items, link)
            except _ResyncRequired:
                items, link = self._apply_delta(client, {}, None)
        self._save(items, link)
        readable = set(supported_suffixes())
        for item_id, item in sorted(items.items()):
            if item["folder"] or PurePosixPath(item["name"]).suffix.lower() not in readable:
                continue
            yield RemoteDocument(
                source=f"{self.name}/{item_id}/{item['name']}",
                version=item["ctag"],
                acl=self._acl(item_id, item["acl"]),
                fetch=self._downloader(item_id),
            )

    def _apply_delta(
        self, client: Any, items: dict[str, Item], link: str | None
    ) -> tuple[dict[str, Item], str]:
        items = dict(items)
        url = link or f"{self.graph}/drives/{self.config.drive_id}/root/delta"
        changed: set[str] = set()
        while True:
            body = self._get(client, url)
            for entry in body.get("value") or []:
                item_id = str(entry["id"])
                if "deleted" in entry:
                    _remove_with_descendants(items, item_id)
                    changed.discard(item_id)
                    continue
                if "root" in entry:
                    continue
                previous = items.get(item_id, {})
                items[item_id] = {
                    "name": str(entry.get("name") or previous.get("name") or item_id),
                    "parent": (entry.get("parentReference") or {}).get("id"),
                    "folder": "folder" in entry,
                    "ctag": str(entry.get("cTag") or entry.get("eTag") or ""),
                    "acl": previous.get("acl"),
                }
                changed.add(item_id)
            if body.get("@odata.nextLink"):
                url = str(body["@odata.nextLink"])
            elif body.get("@odata.deltaLink"):
                break
            else:
                raise SourceError("Graph's delta answer has neither a next nor a delta link")
        for item_id in changed:  # new, edited, moved or re-shared: read its grants again
            if not items[item_id]["folder"]:
                items[item_id]["acl"] = self._grants(client, item_id)
        return items, str(body["@odata.deltaLink"])

    def _grants(self, client: Any, item_id: str) -> list[str]:
        url = f"{self.graph}/drives/{self.config.drive_id}/items/{item_id}/permissions"
        principals: set[str] = set()
        for permission in self._get(client, url).get("value") or []:
            identities = [permission.get("grantedToV2") or {}]
            identities += permission.get("grantedToIdentitiesV2") or []
            for identity in identities:
                user, group = identity.get("user"), identity.get("group")
                if user and user.get("id"):
                    default = user.get("email") or user["id"]
                    principals.add(f"user:{self.config.users.get(user['id'], default)}")
                if group and group.get("id"):
                    # "HR Team" -> team:HR-Team, unless `groups` names it otherwise.
                    default = "-".join(str(group.get("displayName") or group["id"]).split())
                    principals.add(f"team:{self.config.groups.get(group['id'], default)}")
        return sorted(principals)

    def _acl(self, item_id: str, principals: list[str] | None) -> Acl:
        if not principals:
            return self.fallback
        try:
            return Acl.parse(principals)
        except AclError as error:
            raise SourceError(f"item {item_id}: {error}") from error

    def _downloader(self, item_id: str) -> Callable[[], bytes]:
        def download() -> bytes:
            import httpx

            headers = {"Authorization": f"Bearer {self.token}"}
            url = f"{self.graph}/drives/{self.config.drive_id}/items/{item_id}/content"
            with httpx.Client(headers=headers, timeout=TIMEOUT_S, follow_redirects=True) as c:
                data: bytes = self._send(c, url).content
                return data

        return download

    def _get(self, client: Any, url: str) -> Any:
        try:
            return self._send(client, url).json()
        except ValueError as error:
            raise SourceError(f"{url}: the answer is not JSON") from error

    def _send(self, client: Any, url: str) -> Any:
        import httpx

        try:
            response = client.get(url)
        except httpx.HTTPError as error:
            raise SourceError(f"Microsoft Graph is unreachable: {error}") from error
        if response.status_code == 410:
            raise _ResyncRequired
        if response.status_code in (401, 403):
            raise SourceError(
                f"Microsoft Graph refused the token (HTTP {response.status_code}); check "
                f"${self.config.token_env}"
            )
        if response.status_code >= 400:
            raise SourceError(f"Microsoft Graph answered HTTP {response.status_code} for {url}")
        return response

    def _load(self) -> tuple[dict[str, Item], str | None]:
        try:
            saved = json.loads(self.snapshot.read_text(encoding="utf-8"))
            return dict(saved["items"]), str(saved["delta_link"])
        except (OSError, ValueError, KeyError):
            return {}, None  # first sync, or a lost snapshot: enumerate the drive again

    def _save(self, items: dict[str, Item], link: str) -> None:
        self.snapshot.parent.mkdir(parents=True, exist_ok=True)
        partial = self.snapshot.with_suffix(".tmp")
        partial.write_text(json.dumps({"delta_link": link, "items": items}), encoding="utf-8")
        partial.replace(self.snapshot)


class _ResyncRequired(Exception):
    """Graph answered 410: the delta link expired; enumerate the drive from scratch."""


def _remove_with_descendants(items: dict[str, Item], item_id: str) -> None:
    gone = {item_id}
    grew = True
    while grew:
        more = {i for i, item in items.items() if item["parent"] in gone} - gone
        gone |= more
        grew = bool(more)
    for each in gone:
        items.pop(each, None)
