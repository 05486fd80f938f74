"""The `s3` connector against an S3 fake over loopback HTTP (SigV4 checked on every request):
ListObjectsV2 pagination, ETags, ACLs from object tags and key globs, edits, deletions, a tag
change taking a team's access away, an outage and a bad secret. The signer itself is checked
against AWS's published examples."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from switchgear.knowledge.acl import Reader
from switchgear.knowledge.connectors.sigv4 import sign_headers
from tests.fakes.serve import run_fake
from tests.knowledge.connectors.conftest import OpenHub, sources_seen
from tests.knowledge.connectors.s3_fake import FakeObject, FakeS3, create_s3_fake

KEY_ID, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize(
    ("path", "query", "headers", "signature"),
    [  # AWS's "Examples: Signature Calculations in AWS Signature Version 4" for S3
        ("/test.txt", {}, {"range": "bytes=0-9"},
         "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
        ("/", {"max-keys": "2", "prefix": "J"}, {},
         "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
        ("/", {"lifecycle": ""}, {},
         "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
    ],
)  # fmt: skip
def test_the_signer_matches_aws_examples(
    path: str, query: dict[str, str], headers: dict[str, str], signature: str
) -> None:
    signed = sign_headers(
        method="GET",
        host="examplebucket.s3.amazonaws.com",
        path=path,
        query=query,
        headers=headers,
        amz_date="20130524T000000Z",
        region="us-east-1",
        access_key=KEY_ID,
        secret_key=SECRET,
    )
    assert signed["authorization"].endswith(f"Signature={signature}")


@pytest.fixture()
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeS3, str]]:
    state = FakeS3(KEY_ID, SECRET, "contracts")
    state.objects["legal/nda template.md"] = FakeObject(
        b"# NDA\n\nMutual non-disclosure agreements last three years.",
        tags={"switchgear-acl": "team:legal team:sales"},
    )
    state.objects["legal/msa.md"] = FakeObject(
        b"# MSA\n\nThe master services agreement caps liability at twelve months of fees.",
        tags={"switchgear-acl": "team:legal", "owner": "anna"},
    )
    state.objects["public/brand.txt"] = FakeObject(b"The brand colour is ultramarine blue.")
    state.objects["finance/q3.md"] = FakeObject(b"# Q3\n\nRevenue grew eleven percent in Q3.")
    state.objects["scans/"] = FakeObject(b"")  # a folder marker
    state.objects["scans/logo.png"] = FakeObject(b"\x89PNG")
    monkeypatch.setenv("ARCHIVE_KEY_ID", KEY_ID)
    monkeypatch.setenv("ARCHIVE_SECRET", SECRET)
    with run_fake(create_s3_fake(state)) as url:
        yield state, url


def _config(url: str) -> dict[str, object]:
    return {
        "connectors": {
            "archive": {
                "type": "s3",
                "collection": "legal",
                "endpoint_url": url,
                "bucket": "contracts",
                "access_key_env": "ARCHIVE_KEY_ID",
                "secret_key_env": "ARCHIVE_SECRET",
                "acl": {"finance/*": ["team:finance"]},
                "default_acl": ["public"],
                "max_keys": 2,  # six keys: three pages
            }
        }
    }


def test_bucket_sync_with_tags_globs_edits_and_deletions(
    open_hub: OpenHub, bucket: tuple[FakeS3, str]
) -> None:
    state, url = bucket
    knowledge, hub = open_hub(**_config(url))

    first = hub.sync("archive")
    assert first.error is None, first.error
    assert first.counts["added"] == 4 and state.list_calls == 3
    assert "archive/legal/nda template.md" in sources_seen(
        knowledge, "non-disclosure agreement", "legal", team="sales"
    )
    assert "archive/legal/msa.md" not in sources_seen(
        knowledge, "liability cap", "legal", team="sales"
    )
    assert "archive/finance/q3.md" in sources_seen(knowledge, "revenue Q3", "legal", team="finance")
    assert "archive/finance/q3.md" not in sources_seen(knowledge, "revenue Q3", "legal")
    assert hub.sync("archive").chunks_embedded == 0

    state.objects["legal/msa.md"].data = b"# MSA\n\nLiability is capped at six months of fees."
    state.objects["legal/nda template.md"].tags["switchgear-acl"] = "team:legal"  # sales out
    del state.objects["public/brand.txt"]
    report = hub.sync("archive")
    assert (report.counts["updated"], report.counts["acl_updated"], report.counts["removed"]) == (
        1,
        1,
        1,
    )
    assert "archive/legal/nda template.md" not in sources_seen(
        knowledge, "non-disclosure agreement", "legal", team="sales"
    )
    assert "archive/legal/nda template.md" in sources_seen(
        knowledge, "non-disclosure agreement", "legal", team="legal"
    )
    assert "archive/public/brand.txt" not in sources_seen(knowledge, "brand colour", "legal")
    hits = knowledge.search("liability cap", "legal", Reader(team="legal"), top_k=1)
    assert "six months" in hits[0].text


def test_an_outage_or_a_wrong_secret_keeps_the_index(
    open_hub: OpenHub, bucket: tuple[FakeS3, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = bucket
    knowledge, hub = open_hub(**_config(url))
    hub.sync("archive")

    state.fail_with = 500
    down = hub.sync("archive")
    assert down.error == "S3 answered HTTP 500 InternalError for /contracts"
    state.fail_with = None
    monkeypatch.setenv("ARCHIVE_SECRET", "not-the-secret")
    refused = hub.sync("archive")
    assert refused.error is not None
    assert refused.error.startswith("S3 refused the credentials (HTTP 403 SignatureDoesNotMatch)")
    assert "archive/public/brand.txt" in sources_seen(knowledge, "brand colour", "legal")
    assert hub.statuses()[0]["last_run"]["error"] == refused.error
