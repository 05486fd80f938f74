"""A story for every nominee in `nominees.json`, all requested at once (`openai`'s
`AsyncOpenAI`, `asyncio.gather`). Each request fills the route's template with its nominee;
the gateway queues and batches them on the embedded model."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

from openai import AsyncOpenAI

URL = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080").rstrip("/") + "/v1"
client = AsyncOpenAI(base_url=URL, api_key=os.environ.get("SWITCHGEAR_API_KEY", "unused"))


async def story(nominee: dict[str, str]) -> tuple[str, str, float]:
    began = time.perf_counter()
    reply = await client.chat.completions.create(
        model="stories",
        messages=[{"role": "user", "content": f"The story for {nominee['nominee']}, please."}],
        max_tokens=40,
        extra_body={"prompt_variables": nominee},
    )
    text = (reply.choices[0].message.content or "").strip().replace("\n", " ")
    return nominee["nominee"], text, time.perf_counter() - began


async def main(nominees: list[dict[str, str]]) -> None:
    began = time.perf_counter()
    written = await asyncio.gather(*(story(nominee) for nominee in nominees))
    for name, text, seconds in written:
        print(f"{name} ({seconds:.1f} s): {text[:90]!r}")
    print(f"{len(written)} stories in {time.perf_counter() - began:.1f} s")


asyncio.run(main(json.loads(Path("nominees.json").read_text(encoding="utf-8"))))
