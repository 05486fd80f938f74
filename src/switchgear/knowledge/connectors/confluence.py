"""Confluence Cloud through its REST API, with basic auth (account email + API token).

- Pages: `GET /wiki/api/v2/spaces/{id}/pages?body-format=storage`, following `_links.next`
  (cursor pagination). Each page is `<connector>/<page id>.html`, its storage-format body
  wrapped as HTML with the title; version token: `version.number`.
- Permissions: `GET /wiki/rest/api/content/{id}/restriction/byOperation/read`. A group in
  the read restriction becomes `team:<group name>`, a user `user:<accountId>` (or the name
  `users` maps it to). Confluence applies a parent's view restriction to its children, so a
  page without restrictions of its own takes its nearest restricted ancestor's; a page with
  none anywhere gets the connector's default ACL (who may read the space).
- Attachments: `GET /wiki/api/v2/pages/{id}/attachments` (paginated the same way), those in a
  format the readers know, as `<connector>/<page id>/<file name>`, with their page's ACL;
  content from the attachment's `downloadLink`.

Restrictions are read every sync (they carry no version), so a removed permission is applied
by the next one.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from switchgear.knowledge.acl import Acl, AclError
from switchgear.knowledge.connectors.base import RemoteDocument, SourceError
from switchgear.knowledge.connectors.config import ConfluenceConnectorConfig
from switchgear.knowledge.readers import supported_suffixes

TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class _Page:
    id: str
    title: str
    parent: str | None
    version: str
    body: str


class ConfluenceConnector:
    def __init__(
        self, name: str, config: ConfluenceConnectorConfig, token: str, fallback: Acl
    ) -> None:
        self.name = name
        self.config = config
        self.token = token
        self.fallback = fallback
        self.site = config.base_url.rstrip("/")

    def list_documents(self) -> Iterator[RemoteDocument]:
        import httpx

        auth = httpx.BasicAuth(self.config.email, self.token)
        with httpx.Client(auth=auth, timeout=TIMEOUT_S, follow_redirects=True) as client:
            pages = {
                page.id: page
                for space in self.config.space_ids
                for page in self._pages(client, space)
            }
            own = {page_id: self._restriction(client, page_id) for page_id in pages}
            documents = []
            for page in pages.values():
                principals = _effective(page.id, pages, own)
                if principals is not None and not principals:
                    continue  # nobody could satisfy every restricted level: never indexed
                acl = Acl(frozenset(principals)) if principals else self.fallback
                documents.append(self._page_document(page, acl))
                if self.config.attachments:
                    documents += self._attachments(client, page, acl)
        yield from documents

    def _page_document(self, page: _Page, acl: Acl) -> RemoteDocument:
        text = (
            f"<html><head><title>{html.escape(page.title)}</title></head>"
            f"<body>{page.body}</body></html>"
        ).encode()
        return RemoteDocument(
            source=f"{self.name}/{page.id}.html",
            version=page.version,
            acl=acl,
            fetch=lambda: text,
        )

    def _pages(self, client: Any, space_id: str) -> Iterator[_Page]:
        url = f"{self.site}/wiki/api/v2/spaces/{space_id}/pages"
        params = {"body-format": "storage", "limit": str(self.config.page_limit)}
        for item in self._paginated(client, url, params):
            yield _Page(
                id=str(item["id"]),
                title=str(item.get("title") or item["id"]),
                parent=str(item["parentId"]) if item.get("parentId") else None,
                version=str((item.get("version") or {}).get("number", "")),
                body=str(((item.get("body") or {}).get("storage") or {}).get("value", "")),
            )

    def _restriction(self, client: Any, page_id: str) -> Acl | None:
        url = f"{self.site}/wiki/rest/api/content/{page_id}/restriction/byOperation/read"
        restrictions = self._get(client, url, None).get("restrictions") or {}
        users = (restrictions.get("user") or {}).get("results") or []
        groups = (restrictions.get("group") or {}).get("results") or []
        entries = [f"user:{self.config.users.get(u['accountId'], u['accountId'])}" for u in users]
        entries += [f"team:{g['name']}" for g in groups]
        if not entries:
            return None
        try:
            return Acl.parse(entries)
        except AclError as error:
            raise SourceError(f"page {page_id}: {error}") from error

    def _attachments(self, client: Any, page: _Page, acl: Acl) -> list[RemoteDocument]:
        url = f"{self.site}/wiki/api/v2/pages/{page.id}/attachments"
        readable = set(supported_suffixes())
        found = []
        for item in self._paginated(client, url, {"limit": str(self.config.page_limit)}):
            file_name = PurePosixPath(str(item.get("title") or item["id"])).name
            if PurePosixPath(file_name).suffix.lower() not in readable:
                continue  # images and the like: nothing to index
            found.append(
                RemoteDocument(
                    source=f"{self.name}/{page.id}/{file_name}",
                    version=str((item.get("version") or {}).get("number", "")),
                    acl=acl,
                    fetch=self._downloader(str(item["downloadLink"])),
                )
            )
        return found

    def _downloader(self, link: str) -> Callable[[], bytes]:
        # `downloadLink` is relative to the site's `/wiki` context.
        url = link if link.startswith("http") else f"{self.site}/wiki{link}"

        def download() -> bytes:
            import httpx

            auth = httpx.BasicAuth(self.config.email, self.token)
            with httpx.Client(auth=auth, timeout=TIMEOUT_S, follow_redirects=True) as client:
                response = self._send(client, url, None)
                data: bytes = response.content
                return data

        return download

    def _paginated(self, client: Any, url: str, params: dict[str, str]) -> Iterator[Any]:
        next_url: str | None = url
        query: dict[str, str] | None = params
        while next_url:
            body = self._get(client, next_url, query)
            yield from body.get("results") or []
            link = (body.get("_links") or {}).get("next")
            # The next link carries the cursor and every other parameter (httpx would
            # replace its query with any `params`, even empty ones).
            if link and not link.startswith(("http://", "https://")):
                link = f"{self.site}{link}"
            next_url, query = link or None, None

    def _get(self, client: Any, url: str, params: dict[str, str] | None) -> Any:
        response = self._send(client, url, params)
        try:
            return response.json()
        except ValueError as error:
            raise SourceError(f"{url}: the answer is not JSON") from error

    def _send(self, client: Any, url: str, params: dict[str, str] | None) -> Any:
        import httpx

        try:
            response = client.get(url, params=params, headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise SourceError(f"Confluence is unreachable: {error}") from error
        if response.status_code in (401, 403):
            raise SourceError(
                f"Confluence refused the credentials (HTTP {response.status_code}); check "
                f"the email and ${self.config.token_env}"
            )
        if response.status_code >= 400:
            raise SourceError(f"Confluence answered HTTP {response.status_code} for {url}")
        return response


def _effective(
    page_id: str, pages: dict[str, _Page], own: dict[str, Acl | None]
) -> frozenset[str] | None:
    """Who may read the page: in Confluence a reader must pass the read restriction of the page
    and of every restricted ancestor, so the principals named at every restricted level (an
    empty set: nobody this index can express). None: no level is restricted."""
    seen: set[str] = set()
    current: str | None = page_id
    allowed: frozenset[str] | None = None
    while current is not None and current in pages and current not in seen:
        seen.add(current)
        restriction = own.get(current)
        if restriction is not None:
            level = restriction.principals
            allowed = level if allowed is None else allowed & level
        current = pages[current].parent
    return allowed
