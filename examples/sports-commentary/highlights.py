"""Highlights of many matches at once: each match's whole event feed summarised by the
`highlights` route through the plain chat endpoint, all matches concurrently with the async
`openai` client, at most `--concurrency` requests in flight (the gateway's own limits and the
model's queue still apply to each).

    python highlights.py [--concurrency 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path

from openai import AsyncOpenAI

GATEWAY = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080")
HERE = Path(__file__).parent
SKIPPED = {"id", "source"}  # what a reader of the highlights does not need


def match_report(path: Path) -> str:
    """The match's events, one line each; a line the feed garbled is left out."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        lines.append(", ".join(f"{k}: {v}" for k, v in event.items() if k not in SKIPPED))
    return "\n".join(lines)


async def highlight(client: AsyncOpenAI, gate: asyncio.Semaphore, path: Path) -> str:
    async with gate:
        answer = await client.chat.completions.create(
            model="highlights",
            messages=[
                {"role": "system", "content": "Summarise the match in two sentences."},
                {"role": "user", "content": match_report(path)},
            ],
            max_tokens=48,
        )
    summary = (answer.choices[0].message.content or "").strip().replace("\n", " ")
    return f"{path.stem}: {summary}"


async def main(concurrency: int) -> None:
    client = AsyncOpenAI(base_url=f"{GATEWAY}/v1", api_key=os.environ["HIGHLIGHTS_KEY"])
    gate = asyncio.Semaphore(concurrency)
    matches = sorted((HERE / "feeds").glob("*.ndjson"))
    for line in await asyncio.gather(*(highlight(client, gate, p) for p in matches)):
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=2)
    asyncio.run(main(parser.parse_args().concurrency))
