"""A feed whose route goes to a fake OpenAI upstream (it answers with the prompt it got), so
what each commentary asked is visible: earlier events go along as context, only the feed's
fields leave, events that arrive while a commentary is written are coalesced into the next
(and past the backlog, dropped, both said in the stream), a bad line is an `error` event
after which the feed goes on, and the route's guards screen each commentary's prompt."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.conftest import ledger_rows
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.feeds.feed_client import FeedCall, feed, line, lines_of
from tests.gateway_process import GatewayProcess

CONFIG = """
providers:
  broadcaster: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_OPENAI_KEY}}
models:
  - {{id: gpt-fake, provider: broadcaster, upstream_model: gpt-4o-mini}}
routes:
  cricket:
    targets: [gpt-fake]
    feed:
      instructions: Commentate on the cricket.
      context_events: 2
      fields: [over, type, batter]
      max_tokens: 6
      backlog: 3
  scouting:
    targets: [gpt-fake]
    feed: {{fields: [type, note], max_tokens: 40}}
guards:
  routes: {{scouting: redact}}
  policies:
    "off": {{}}
    redact: {{pii: {{action: redact, use_model: false}}}}
"""


@pytest.fixture(scope="module")
def upstream(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[GatewayProcess, FakeBehaviour]]:
    behaviour = FakeBehaviour(api_key="test-key")
    home = tmp_path_factory.mktemp("feeds-upstream")
    with run_fake(create_openai_fake(behaviour)) as url:
        (home / "switchgear.yaml").write_text(CONFIG.format(url=url))
        process = GatewayProcess(
            home, home / "switchgear.yaml", env={"FAKE_OPENAI_KEY": "test-key"}
        )
        try:
            yield process, behaviour
        finally:
            process.stop()


def ball(n: int, kind: str = "dot ball", **more: Any) -> dict[str, Any]:
    return {"id": f"b{n}", "over": f"1.{n}", "type": kind, "batter": "Root", "speed": 140, **more}


def sent_prompts(behaviour: FakeBehaviour) -> list[list[dict[str, str]]]:
    return [
        r["json"]["messages"] for r in behaviour.requests if r["path"].endswith("/chat/completions")
    ]


def done_with(event: str):  # type: ignore[no-untyped-def]
    return lambda m: m["type"] == "event_done" and m["event"] == event


def test_earlier_events_go_to_the_upstream_as_context(
    upstream: tuple[GatewayProcess, FakeBehaviour],
) -> None:
    process, behaviour = upstream
    behaviour.reset()

    async def one_at_a_time(call: FeedCall) -> AsyncIterator[bytes]:
        for n in (1, 2, 3):
            yield line(ball(n, "four" if n == 2 else "dot ball"))
            await call.seen(done_with(f"b{n}"))

    call = feed(process.base_url, "cricket", one_at_a_time)
    assert call.done and [m["events"] for m in call.of_type("event_done")] == [
        ["b1"],
        ["b2"],
        ["b3"],
    ]

    prompts = sent_prompts(behaviour)
    assert [p[0] for p in prompts] == [
        {"role": "system", "content": "Commentate on the cricket."}
    ] * 3
    assert prompts[0][1]["content"] == "New event:\n- over: 1.1, type: dot ball, batter: Root"
    # The third sees the two before it (context_events: 2); `speed` is not a feed field.
    assert prompts[2][1]["content"] == (
        "Earlier events:\n"
        "- over: 1.1, type: dot ball, batter: Root\n"
        "- over: 1.2, type: four, batter: Root\n"
        "\n"
        "New event:\n"
        "- over: 1.3, type: dot ball, batter: Root"
    )
    # The fake echoes its prompt: the commentary on b1 is what the upstream said, word by word.
    assert call.text_of("b1") == "fake-openai says: New event:\n- over: "


def test_a_burst_is_coalesced_into_one_commentary_and_the_backlog_stays_bounded(
    upstream: tuple[GatewayProcess, FakeBehaviour],
) -> None:
    process, behaviour = upstream
    behaviour.reset()
    behaviour.chunk_delay = 0.4  # a slow commentator: the burst lands while b1 is written
    try:

        async def burst(call: FeedCall) -> AsyncIterator[bytes]:
            yield line(ball(1))
            await call.seen(lambda m: m["type"] == "delta" and m["event"] == "b1")
            yield b"".join(line(ball(n)) for n in range(2, 8))  # six at once, backlog: 3

        call = feed(process.base_url, "cricket", burst)
    finally:
        behaviour.chunk_delay = 0.0

    assert call.done
    assert call.of_type("dropped") == [
        {"type": "dropped", "events": ["b2", "b3", "b4"], "count": 3}
    ]
    assert call.of_type("coalesced") == [
        {"type": "coalesced", "event": "b7", "events": ["b5", "b6", "b7"]}
    ]
    assert [m["events"] for m in call.of_type("event_done")] == [["b1"], ["b5", "b6", "b7"]]
    assert {m["event"] for m in call.of_type("delta")} == {"b1", "b7"}
    prompts = sent_prompts(behaviour)
    assert len(prompts) == 2
    assert prompts[1][1]["content"].endswith(
        "New events, in order:\n"
        "- over: 1.5, type: dot ball, batter: Root\n"
        "- over: 1.6, type: dot ball, batter: Root\n"
        "- over: 1.7, type: dot ball, batter: Root"
    )


def test_a_bad_line_is_an_error_event_and_the_feed_goes_on(
    upstream: tuple[GatewayProcess, FakeBehaviour],
) -> None:
    process, behaviour = upstream
    behaviour.reset()
    too_big = line(ball(9, note="x" * 20_000))

    async def with_bad_lines(call: FeedCall) -> AsyncIterator[bytes]:
        yield line(ball(1))
        await call.seen(done_with("b1"))
        yield b"{not json\n" + b"\n" + b"[1, 2]\n" + too_big
        await call.seen(lambda m: m["type"] == "error" and m.get("line") == 5)
        yield line(ball(2))

    call = feed(process.base_url, "cricket", with_bad_lines)
    assert call.done
    errors = {m["line"]: m["error"] for m in call.of_type("error")}
    assert sorted(errors) == [2, 4, 5]  # line 3 is blank: a keep-alive, not an error
    assert errors[2]["code"] == "invalid_event" and errors[2]["message"].startswith(
        "Line 2 is not JSON"
    )
    assert errors[4]["message"] == "Line 4 is not a JSON object (an event is one object per line)."
    assert errors[5] == {
        "message": "Line 5 is longer than 16384 bytes.",
        "type": "invalid_request_error",
        "param": None,
        "code": "event_too_large",
    }
    assert [m["events"] for m in call.of_type("event_done")] == [["b1"], ["b2"]]
    assert len(sent_prompts(behaviour)) == 2  # no bad line reached the upstream
    statuses = [r["status"] for r in ledger_rows(process.db_path, "endpoint = 'feeds'")]
    assert "error" not in statuses


def test_the_guards_screen_every_commentary_before_it_leaves(
    upstream: tuple[GatewayProcess, FakeBehaviour],
) -> None:
    process, behaviour = upstream
    behaviour.reset()
    scouted = {"id": "s1", "type": "scout report", "note": "agent: jane.doe@example.com"}

    call = feed(process.base_url, "scouting", lines_of(scouted))

    assert call.done and [m["events"] for m in call.of_type("event_done")] == [["s1"]]
    assert "jane.doe@example.com" not in str(behaviour.requests)  # redacted before it left
    assert "jane.doe@example.com" not in call.text_of("s1")
    assert sent_prompts(behaviour)[0][1]["content"].endswith(
        "type: scout report, note: agent: [EMAIL]"
    )
