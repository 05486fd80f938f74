"""Live commentary: streams a match's event feed (feeds/<sport>.ndjson, one event per line) to
`POST /v1/feeds/<sport>` as the events happen, and prints the commentary as it is written.

aiohttp, not httpx: the commentary on an event must arrive while later events are still being
uploaded, and aiohttp reads the answer while it writes the body (httpx sends the whole body
first). Any HTTP client that can do both at once works the same (`curl -T -`, for one).

    python commentary.py football [--pace 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

GATEWAY = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080")
HERE = Path(__file__).parent


async def events(lines: list[str], pace: float) -> AsyncIterator[bytes]:
    """The feed's lines, `pace` seconds apart, as a data provider would send them live."""
    for line in lines:
        yield (line + "\n").encode()
        await asyncio.sleep(pace)


async def commentate(sport: str, pace: float) -> None:
    headers = {
        "authorization": f"Bearer {os.environ['FEED_KEY']}",
        "content-type": "application/x-ndjson",
    }
    feed = (HERE / "feeds" / f"{sport}.ndjson").read_text(encoding="utf-8").splitlines()
    body = events(feed, pace)
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{GATEWAY}/v1/feeds/{sport}", data=body, headers=headers) as reply,
    ):
        if reply.status != 200:
            sys.exit(f"refused: {reply.status} {await reply.text()}")
        speaking = None
        async for raw in reply.content:
            text = raw.decode().strip()
            if not text.startswith("data: {"):
                continue
            message = json.loads(text[len("data: ") :])
            kind = message["type"]
            if kind == "delta":
                if speaking != message["event"]:
                    speaking = message["event"]
                    print(f"[{speaking}] ", end="")
                print(message["delta"].replace("\n", " "), end="", flush=True)
            elif kind == "event_done":
                if speaking is None:  # the model said nothing this time
                    print(f"[{message['event']}] (no words)")
                else:
                    print(f"  ({message['first_token_ms'][-1]:.0f} ms to first word)")
                speaking = None
            elif kind == "coalesced":
                print(f"(coalesced: {', '.join(message['events'])})")
            elif kind == "dropped":
                print(f"(dropped: {', '.join(message['events'])})")
            elif kind == "error":
                where = f"line {message['line']}" if "line" in message else message["event"]
                print(f"! {where}: {message['error']['message']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sport", choices=["football", "cricket", "basketball"])
    parser.add_argument("--pace", type=float, default=1.0, help="seconds between events")
    args = parser.parse_args()
    asyncio.run(commentate(args.sport, args.pace))


if __name__ == "__main__":
    main()
