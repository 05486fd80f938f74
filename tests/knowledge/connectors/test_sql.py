"""The `sql` connector on a real Postgres table: rows as documents, incremental by
`updated_at`, deleted ids removed, a row's ACL change applied, a failing query recorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from switchgear.knowledge.acl import Reader
from tests.knowledge.connectors.conftest import OpenHub, sources_seen

RESET = "To reset a forgotten password, open the sign-in page and choose 'Forgot password'."
REFUND = "Refunds for annual plans are prorated and paid back within ten business days."
VPN = "The VPN profile for contractors is issued by the IT help desk on request."


@pytest.fixture()
def faq_dsn(postgres_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A `faq` table in a schema of its own; its DSN is in $FAQ_DSN."""
    schema = f"faq_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_uri, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
        db.execute(
            f"CREATE TABLE {schema}.faq (id INTEGER PRIMARY KEY, title TEXT, body TEXT, "
            "updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), readers TEXT[])"
        )
        db.execute(
            f"INSERT INTO {schema}.faq (id, title, body, readers) VALUES "
            "(1, 'Password reset', %s, NULL), (2, 'Refunds', %s, '{team:billing}'), "
            "(3, 'Contractor VPN', %s, '{team:it,team:security}')",
            (RESET, REFUND, VPN),
        )
    dsn = make_conninfo(postgres_uri, options=f"-c search_path={schema}")
    monkeypatch.setenv("FAQ_DSN", dsn)
    yield dsn


CONFIG = {
    "connectors": {
        "faq": {
            "type": "sql",
            "collection": "support",
            "dsn_env": "FAQ_DSN",
            "query": "SELECT id, title, body, updated_at, readers AS acl FROM faq",
            "default_acl": ["public"],
        }
    }
}


def test_rows_sync_incrementally_with_their_acls(open_hub: OpenHub, faq_dsn: str) -> None:
    knowledge, hub = open_hub(**CONFIG)
    first = hub.sync("faq")
    assert first.error is None and first.counts["added"] == 3
    assert "faq/2.md" in sources_seen(knowledge, "refund annual plan", "support", team="billing")
    assert "faq/2.md" not in sources_seen(knowledge, "refund annual plan", "support", team="it")
    assert hub.sync("faq").chunks_embedded == 0

    with psycopg.connect(faq_dsn, autocommit=True) as db:
        db.execute(
            "UPDATE faq SET body = 'Refunds are paid within five days.', "
            "updated_at = now() + interval '1 minute' WHERE id = 2"
        )
        db.execute("UPDATE faq SET readers = '{team:security}' WHERE id = 3")  # IT loses it
        db.execute("DELETE FROM faq WHERE id = 1")
    report = hub.sync("faq")
    assert (report.counts["updated"], report.counts["acl_updated"], report.counts["removed"]) == (
        1,
        1,
        1,
    )
    assert report.chunks_embedded >= 1
    assert "faq/3.md" not in sources_seen(knowledge, "contractor VPN", "support", team="it")
    assert "faq/3.md" in sources_seen(knowledge, "contractor VPN", "support", team="security")
    assert "faq/1.md" not in sources_seen(knowledge, "forgotten password", "support")
    hits = knowledge.search("refund", "support", Reader(team="billing"), top_k=1)
    assert "five days" in hits[0].text


def test_a_failing_query_keeps_the_index(open_hub: OpenHub, faq_dsn: str) -> None:
    knowledge, hub = open_hub(**CONFIG)
    hub.sync("faq")
    with psycopg.connect(faq_dsn, autocommit=True) as db:
        db.execute("ALTER TABLE faq RENAME TO faq_old")
    report = hub.sync("faq")
    assert report.error is not None and "query failed" in report.error
    assert "faq/1.md" in sources_seen(knowledge, "forgotten password", "support")


def test_a_missing_dsn_variable_is_the_status(
    open_hub: OpenHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FAQ_DSN", raising=False)
    _, hub = open_hub(**CONFIG)
    report = hub.sync("faq")
    assert report.error == "$FAQ_DSN is not set"
    assert hub.statuses()[0]["last_run"]["error"] == "$FAQ_DSN is not set"
