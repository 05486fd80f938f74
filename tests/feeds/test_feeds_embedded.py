"""`POST /v1/feeds/{route}` through a real gateway process serving the embedded model: events
streamed in with pauses get commentary each, tagged with their ids, one ledger row per
commentary charged to the feed's key; a feed is refused like any request before its stream
starts; a client that hangs up mid-feed stops its commentary and the gateway serves on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.conftest import ledger_rows
from tests.feeds.feed_client import FeedCall, feed, line, lines_of
from tests.gateway_process import GatewayProcess

ADMIN = "admin-secret-for-feed-tests"
CONFIG = """
routes:
  football:
    targets: [default]
    feed:
      instructions: You are a football commentator. Say one short sentence about the new event.
      context_events: 3
      fields: [minute, type, player, team]
      max_tokens: 16
  chat-only: {targets: [default]}
"""
MATCH = [
    {"id": "kickoff", "minute": 0, "type": "kick-off", "team": "Arsenal"},
    {"id": "g1", "minute": 12, "type": "goal", "player": "Saka", "team": "Arsenal"},
    {"id": "y1", "minute": 30, "type": "yellow card", "player": "Caicedo", "team": "Chelsea"},
]


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, str]]:
    home = tmp_path_factory.mktemp("feeds")
    (home / "switchgear.yaml").write_text(CONFIG)
    process = GatewayProcess(home, home / "switchgear.yaml", env={"SWITCHGEAR_ADMIN_KEY": ADMIN})
    try:
        made = process.admin(ADMIN, "POST", "/keys", json={"name": "desk", "team": "broadcast"})
        assert made.status_code == 201, made.text
        yield process, str(made.json()["key"])
    finally:
        process.stop()


def feed_rows(process: GatewayProcess) -> list[dict[str, object]]:
    return [dict(row) for row in ledger_rows(process.db_path, "endpoint = 'feeds'")]


def test_each_event_gets_its_own_commentary_and_ledger_row(
    keyed: tuple[GatewayProcess, str],
) -> None:
    process, key = keyed
    before = {row["request_id"] for row in feed_rows(process)}

    async def one_at_a_time(call: FeedCall) -> AsyncIterator[bytes]:
        # Each event only once the last one's commentary is done: no coalescing here.
        for event in MATCH:
            yield line(event)
            await call.seen(lambda m, e=event: m["type"] == "event_done" and m["event"] == e["id"])

    call = feed(process.base_url, "football", one_at_a_time, key)

    assert call.status == 200 and call.done
    done = call.of_type("event_done")
    assert [m["events"] for m in done] == [["kickoff"], ["g1"], ["y1"]]
    for event in MATCH:
        assert call.text_of(event["id"]).strip()  # some commentary on every event
    assert {m["event"] for m in call.of_type("delta")} == {"kickoff", "g1", "y1"}
    assert all(m["usage"]["completion_tokens"] > 0 for m in done)
    assert all(ms is not None and ms > 0 for m in done for ms in m["first_token_ms"])

    rows = {row["request_id"]: row for row in feed_rows(process) if row["request_id"] not in before}
    assert set(rows) == {m["request_id"] for m in done}  # one row per commentary, no other
    for message in done:
        row = rows[message["request_id"]]
        assert (row["status"], row["route"], row["team"]) == ("ok", "football", "broadcast")
        assert row["completion_tokens"] == message["usage"]["completion_tokens"]


def test_a_feed_without_a_key_is_refused_before_its_stream(
    keyed: tuple[GatewayProcess, str],
) -> None:
    process, _ = keyed
    call = feed(process.base_url, "football", lines_of(MATCH[0]))
    assert call.status == 401
    assert call.error is not None and call.error["error"]["code"] == "missing_api_key"
    assert call.messages == []


def test_a_route_without_feed_is_refused_by_name(keyed: tuple[GatewayProcess, str]) -> None:
    process, key = keyed
    call = feed(process.base_url, "chat-only", lines_of(MATCH[0]), key)
    assert call.status == 400 and call.error is not None
    error = call.error["error"]
    assert error["code"] == "not_a_feed" and error["param"] == "route"
    assert "`chat-only` is not a feed route" in error["message"]
    assert "(feed routes: football)" in error["message"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'[{"id": 1, "type": "goal"}]\n', "Line 1 is not a JSON object"),
        (b'{\n  "id": 1,\n  "type": "goal"\n}\n', "Line 1 is not JSON"),  # pretty-printed
        (b"\xff\xfe\x00garbage", "Line 1 is not JSON"),
        (b"null\n", "Line 1 is not a JSON object"),
        (b"\n\n", "The feed is empty"),
        (b"", "The feed is empty"),
    ],
)
def test_a_body_that_is_not_ndjson_is_a_400(
    keyed: tuple[GatewayProcess, str], body: bytes, says: str
) -> None:
    process, key = keyed
    reply = httpx.post(
        f"{process.base_url}/v1/feeds/football",
        content=body,
        headers={"authorization": f"Bearer {key}", "content-type": "application/x-ndjson"},
    )
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "invalid_feed" and error["type"] == "invalid_request_error"
    assert says in error["message"]


def test_hanging_up_mid_feed_stops_the_commentary_and_the_gateway_serves_on(
    keyed: tuple[GatewayProcess, str],
) -> None:
    process, key = keyed
    before = {row["request_id"] for row in feed_rows(process)}

    async def then_wait(call: FeedCall) -> AsyncIterator[bytes]:
        yield line(MATCH[1])
        await asyncio.sleep(60)  # the client hangs up long before
        yield line(MATCH[2])

    hung_up = feed(
        process.base_url, "football", then_wait, key, stop_when=lambda m: m["type"] == "delta"
    )
    assert hung_up.status == 200 and not hung_up.done

    deadline = time.monotonic() + 30
    new: list[dict[str, object]] = []
    while time.monotonic() < deadline and not new:
        new = [r for r in feed_rows(process) if r["request_id"] not in before]
        time.sleep(0.1)
    assert [(r["status"], r["error_code"]) for r in new] == [("cancelled", "client_disconnected")]

    again = feed(process.base_url, "football", lines_of(MATCH[0]), key)
    assert again.done and [m["events"] for m in again.of_type("event_done")] == [["kickoff"]]
