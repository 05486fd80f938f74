"""A search page's answer box: the matching passages, then a summary that cites them.

`python summarise.py "QUERY"`. The passages come from `/v1/search` (retrieval only, no model);
the summary from the `summarise` route through the `openai` SDK, with `citations` numbered
like the `[n]` in its text.
"""

from __future__ import annotations

import os
import sys

import httpx
from openai import OpenAI

URL = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080").rstrip("/")
KEY = os.environ.get("SWITCHGEAR_API_KEY", "unused")
query = " ".join(sys.argv[1:]) or "Do heat pumps work when it is very cold?"

found = httpx.post(
    f"{URL}/v1/search",
    json={"query": query, "collection": "web", "top_k": 5},
    headers={"authorization": f"Bearer {KEY}"},
    timeout=60,
)
found.raise_for_status()
print(f"Search: {query}")
for hit in found.json()["data"]:
    print(f"  {hit['index']}. {hit['score']:.3f} {hit['title']} ({hit['source']})")

client = OpenAI(base_url=f"{URL}/v1", api_key=KEY)
reply = client.chat.completions.create(
    model="summarise",
    messages=[{"role": "user", "content": f"Summarise in two sentences: {query}"}],
    max_tokens=40,
    temperature=0,
)
print("\nSummary:")
print((reply.choices[0].message.content or "").strip())
print("\nCitations:")
for citation in reply.model_dump().get("citations") or []:
    print(f"  [{citation['index']}] {citation['title']} ({citation['source']})")
