"""The shop's tools through the gateway, two ways.

1. A partner's price widget uses `/mcp` directly (`mcp` SDK): it sees and may call only
   `shop__search_products`; `shop__add_to_cart` is refused.
2. The storefront's assistant asks the model in a chat (`openai` SDK) with the shop's MCP
   server among its tools; the gateway runs the call the model makes and the model answers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from openai import OpenAI

URL = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080").rstrip("/")


async def partner_widget(key: str) -> None:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"})
    async with http, Client(streamable_http_client(f"{URL}/mcp", http_client=http)) as mcp:
        print("partner sees:", [tool.name for tool in (await mcp.list_tools()).tools])
        found = await mcp.call_tool("shop__search_products", {"query": "mug"})
        print("partner search:", " | ".join(getattr(block, "text", "") for block in found.content))
        try:
            await mcp.call_tool("shop__add_to_cart", {"sku": "MUG-01"})
        except Exception as refused:  # the SDK raises the gateway's JSON-RPC error
            print("partner add_to_cart:", refused)


def storefront_assistant(key: str) -> None:
    client = OpenAI(base_url=f"{URL}/v1", api_key=key)
    # An MCP server as a tool is the gateway's extension (the Responses API's shape); the SDK's
    # types know function tools only.
    raw = client.chat.completions.with_raw_response.create(  # type: ignore[call-overload]
        model="default",
        messages=[{"role": "user", "content": "Put two blue mugs in my cart."}],
        tools=[{"type": "mcp", "server_label": "shop", "allowed_tools": ["add_to_cart"]}],
        tool_choice="required",
        parallel_tool_calls=False,
        max_tokens=48,
        temperature=0,
    )
    answer = (raw.parse().choices[0].message.content or "").strip().replace("\n", " ")
    print("assistant tool calls:", raw.headers["x-switchgear-tool-calls"])
    print("assistant answer:", answer[:100])
    print("cart:", json.dumps(json.loads(Path("cart.json").read_text())))


anyio.run(partner_widget, os.environ["PARTNER_KEY"])
storefront_assistant(os.environ["STOREFRONT_KEY"])
