"""An S3 stand-in speaking the documented REST shapes: ListObjectsV2 (`list-type=2`, XML
`ListBucketResult`, `MaxKeys`, `IsTruncated`, `NextContinuationToken`), GetObject with its
ETag, GetObjectTagging (`?tagging`), S3's XML errors, and SigV4 headers checked on every
request (the signature recomputed from what arrived, so a wrongly signed request fails the
way S3 fails it: 403 SignatureDoesNotMatch)."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchgear.knowledge.connectors.sigv4 import sign_headers

_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<day>\d{8})/(?P<region>[^/]+)/s3/"
    r"aws4_request, SignedHeaders=(?P<signed>[^,]+), Signature=(?P<sig>[0-9a-f]{64})$"
)
XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"


@dataclass
class FakeObject:
    data: bytes
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return hashlib.md5(self.data).hexdigest()  # what S3 gives an object from a plain PUT


@dataclass
class FakeS3:
    access_key: str
    secret_key: str
    bucket: str
    objects: dict[str, FakeObject] = field(default_factory=dict)
    fail_with: int | None = None
    list_calls: int = 0


def _error(status: int, code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
        "<RequestId>4442587FB7D0A2F9</RequestId></Error>"
    )
    return Response(body, status_code=status, media_type="application/xml")


def _signature_problem(state: FakeS3, request: Request) -> Response | None:
    match = _AUTH.match(request.headers.get("authorization", ""))
    if match is None:
        return _error(403, "AccessDenied", "Access Denied")
    if match["key"] != state.access_key:
        return _error(
            403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist"
        )
    names = match["signed"].split(";")
    extra = {
        n: request.headers[n]
        for n in names
        if n not in ("host", "x-amz-date", "x-amz-content-sha256")
    }
    expected = sign_headers(
        method=request.method,
        host=request.headers["host"],
        path=request.scope["path"],
        query=dict(request.query_params),
        headers=extra,
        amz_date=request.headers.get("x-amz-date", ""),
        region=match["region"],
        access_key=state.access_key,
        secret_key=state.secret_key,
        payload_sha256=request.headers.get("x-amz-content-sha256", ""),
    )
    if expected["authorization"] != request.headers["authorization"]:
        return _error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    return None


def create_s3_fake(state: FakeS3) -> Starlette:
    async def bucket(request: Request) -> Response:
        if (problem := _signature_problem(state, request)) is not None:
            return problem
        if state.fail_with is not None:
            return _error(state.fail_with, "InternalError", "We encountered an internal error.")
        if request.path_params["bucket"] != state.bucket:
            return _error(404, "NoSuchBucket", "The specified bucket does not exist")
        if request.query_params.get("list-type") != "2":
            return _error(400, "InvalidArgument", "only ListObjectsV2 here")
        state.list_calls += 1
        prefix = request.query_params.get("prefix", "")
        max_keys = int(request.query_params.get("max-keys", "1000"))
        token = request.query_params.get("continuation-token")
        keys = sorted(k for k in state.objects if k.startswith(prefix))
        start = int(base64.b64decode(token).decode()) if token else 0
        page = keys[start : start + max_keys]
        truncated = start + max_keys < len(keys)
        contents = "".join(
            f"<Contents><Key>{escape(k)}</Key><LastModified>2025-05-01T12:00:00.000Z"
            f"</LastModified><ETag>&quot;{state.objects[k].etag}&quot;</ETag>"
            f"<Size>{len(state.objects[k].data)}</Size><StorageClass>STANDARD</StorageClass>"
            "</Contents>"
            for k in page
        )
        tokens = f"<ContinuationToken>{token}</ContinuationToken>" if token else ""
        if truncated:
            following = base64.b64encode(str(start + max_keys).encode()).decode()
            tokens += f"<NextContinuationToken>{following}</NextContinuationToken>"
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{XMLNS}">'
            f"<Name>{state.bucket}</Name><Prefix>{escape(prefix)}</Prefix>"
            f"<KeyCount>{len(page)}</KeyCount><MaxKeys>{max_keys}</MaxKeys>"
            f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>{tokens}{contents}"
            "</ListBucketResult>"
        )
        return Response(body, media_type="application/xml")

    async def obj(request: Request) -> Response:
        if (problem := _signature_problem(state, request)) is not None:
            return problem
        if state.fail_with is not None:
            return _error(state.fail_with, "InternalError", "We encountered an internal error.")
        found = state.objects.get(request.path_params["key"])
        if found is None:
            return _error(404, "NoSuchKey", "The specified key does not exist.")
        if "tagging" in request.query_params:
            tags = "".join(
                f"<Tag><Key>{escape(k)}</Key><Value>{escape(v)}</Value></Tag>"
                for k, v in found.tags.items()
            )
            body = (
                f'<?xml version="1.0" encoding="UTF-8"?>\n<Tagging xmlns="{XMLNS}">'
                f"<TagSet>{tags}</TagSet></Tagging>"
            )
            return Response(body, media_type="application/xml")
        return Response(found.data, headers={"ETag": f'"{found.etag}"'})

    return Starlette(routes=[Route("/{bucket}", bucket), Route("/{bucket}/{key:path}", obj)])
