"""An S3-compatible bucket through the REST API, signed with SigV4 (`sigv4.py`).

- Listing: `GET /<bucket>?list-type=2` (ListObjectsV2) with `prefix`, following
  `NextContinuationToken` while `IsTruncated`; the version token is the object's `ETag`.
- Permissions, first that applies: the config's `acl` globs (matched against the key), the
  `acl_tag` object tag (`GET /<bucket>/<key>?tagging`, read every sync since a tag change
  leaves the ETag alone), the connector's default.
- Content: `GET /<bucket>/<key>`, only for objects whose ETag changed.

Keys ending in `/` (folder markers) and formats no reader knows are skipped. Sources are
`<connector>/<key>`.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from switchgear.knowledge.acl import Acl, AclError
from switchgear.knowledge.connectors.base import PathAcls, RemoteDocument, SourceError
from switchgear.knowledge.connectors.config import S3ConnectorConfig
from switchgear.knowledge.connectors.sigv4 import canonical_path, canonical_query, sign_headers
from switchgear.knowledge.readers import supported_suffixes

_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class S3Credentials:
    access_key: str
    secret_key: str


@dataclass(frozen=True, slots=True)
class _Object:
    key: str
    etag: str


class S3Connector:
    def __init__(
        self, name: str, config: S3ConnectorConfig, credentials: S3Credentials, acls: PathAcls
    ) -> None:
        self.name = name
        self.config = config
        self.credentials = credentials
        self.acls = acls
        self.endpoint = config.endpoint_url.rstrip("/")

    def list_documents(self) -> Iterator[RemoteDocument]:
        import httpx

        readable = set(supported_suffixes())
        with httpx.Client(timeout=TIMEOUT_S) as client:
            objects = [
                o
                for o in self._objects(client)
                if not o.key.endswith("/") and PurePosixPath(o.key).suffix.lower() in readable
            ]
            documents = [
                RemoteDocument(
                    source=f"{self.name}/{o.key}",
                    version=o.etag,
                    acl=self._acl(client, o.key),
                    fetch=self._reader(o.key),
                )
                for o in objects
            ]
        yield from documents

    def _objects(self, client: Any) -> Iterator[_Object]:
        token: str | None = None
        while True:
            query = {"list-type": "2", "max-keys": str(self.config.max_keys)}
            if self.config.prefix:
                query["prefix"] = self.config.prefix
            if token:
                query["continuation-token"] = token
            root = _xml(self._request(client, f"/{self.config.bucket}", query).content)
            for item in root.iter(f"{_NS}Contents"):
                yield _Object(_text(item, "Key"), _text(item, "ETag").strip('"'))
            token = root.findtext(f"{_NS}NextContinuationToken")
            if root.findtext(f"{_NS}IsTruncated") != "true" or not token:
                return

    def _acl(self, client: Any, key: str) -> Acl:
        ruled = self.acls.rule_for(key)
        if ruled is not None or not self.config.acl_tag:
            return ruled or self.acls.fallback
        tagging = _xml(self._request(client, self._object_path(key), {"tagging": ""}).content)
        for tag in tagging.iter(f"{_NS}Tag"):
            if _text(tag, "Key") == self.config.acl_tag:
                try:
                    return Acl.parse(_text(tag, "Value").replace(",", " ").split())
                except AclError as error:
                    raise SourceError(f"{key}: tag {self.config.acl_tag}: {error}") from error
        return self.acls.fallback

    def _reader(self, key: str) -> Callable[[], bytes]:
        def get_object() -> bytes:
            import httpx

            with httpx.Client(timeout=TIMEOUT_S) as client:
                data: bytes = self._request(client, self._object_path(key), {}).content
                return data

        return get_object

    def _object_path(self, key: str) -> str:
        return f"/{self.config.bucket}/{key}"

    def _request(self, client: Any, path: str, query: dict[str, str]) -> Any:
        """A signed GET; the URL is built from the same encoding the signature used."""
        import httpx

        endpoint = urlsplit(self.endpoint)
        base_path = endpoint.path.rstrip("/")
        signed = sign_headers(
            method="GET",
            host=endpoint.netloc,
            path=base_path + path,
            query=query,
            headers={},
            amz_date=time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
            region=self.config.region,
            access_key=self.credentials.access_key,
            secret_key=self.credentials.secret_key,
        )
        url = f"{endpoint.scheme}://{endpoint.netloc}{canonical_path(base_path + path)}"
        if query:
            url += "?" + canonical_query(query)
        try:
            response = client.get(url, headers=signed)
        except httpx.HTTPError as error:
            raise SourceError(f"S3 is unreachable: {error}") from error
        if response.status_code >= 400:
            code = _error_code(response.content)
            if response.status_code in (401, 403):
                raise SourceError(
                    f"S3 refused the credentials (HTTP {response.status_code} {code}); check "
                    f"${self.config.access_key_env} and ${self.config.secret_key_env}"
                )
            raise SourceError(f"S3 answered HTTP {response.status_code} {code} for {path}")
        return response


def _xml(data: bytes) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise SourceError(f"S3 answered something that is not XML: {error}") from error


def _text(element: ElementTree.Element, name: str) -> str:
    return element.findtext(f"{_NS}{name}") or ""


def _error_code(data: bytes) -> str:
    try:
        return ElementTree.fromstring(data).findtext("Code") or ""
    except ElementTree.ParseError:
        return ""
