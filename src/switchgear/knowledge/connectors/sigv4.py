"""AWS Signature Version 4 for S3 requests (header form, unsigned-payload-free: the payload
hash is always sent). Written out because neither boto3 nor botocore is a dependency; checked
against the examples in AWS's "Signature Calculations for the Authorization Header" guide."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _encode(text: str, safe: str = "") -> str:
    # RFC 3986 unreserved characters stay; everything else is percent-encoded (upper hex).
    return quote(text, safe="-_.~" + safe)


def canonical_path(path: str) -> str:
    """The path as signed and as sent: each segment percent-encoded, slashes kept."""
    return _encode(path, safe="/")


def canonical_query(query: Mapping[str, str]) -> str:
    """The query string as signed and as sent: sorted, every value encoded (`tagging=`)."""
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(query.items()))


def sign_headers(
    *,
    method: str,
    host: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    amz_date: str,
    region: str,
    access_key: str,
    secret_key: str,
    payload_sha256: str = EMPTY_SHA256,
    service: str = "s3",
) -> dict[str, str]:
    """The headers to add to the request: `x-amz-date`, `x-amz-content-sha256` and
    `Authorization`. `path` is the decoded object path (`/bucket/a b.md`); `amz_date` is
    `YYYYMMDDTHHMMSSZ`; `headers` are further headers to sign (e.g. `range`)."""
    signed = {
        "host": host,
        "x-amz-content-sha256": payload_sha256,
        "x-amz-date": amz_date,
        **{k.lower(): " ".join(v.split()) for k, v in headers.items()},
    }
    names = sorted(signed)
    canonical = "\n".join(
        [
            method,
            canonical_path(path),
            canonical_query(query),
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            payload_sha256,
        ]
    )
    day = amz_date[:8]
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(
        _hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), service), "aws4_request"
    )
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return {
        "x-amz-date": amz_date,
        "x-amz-content-sha256": payload_sha256,
        "authorization": authorization,
    }
