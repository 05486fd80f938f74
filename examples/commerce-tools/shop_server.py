"""A tiny shop as an MCP server (stdio), built with the `mcp` SDK: `search_products` and
`add_to_cart`. The gateway starts it (`mcp.servers.shop` in switchgear.yaml) and serves its
tools as `shop__search_products` and `shop__add_to_cart`. The cart is kept in `cart.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import Field

CATALOGUE = {
    "MUG-01": ("Blue ceramic mug, 350 ml", 12.00),
    "TEE-02": ("Organic cotton T-shirt, navy", 24.00),
    "BAG-03": ("Canvas tote bag", 15.50),
    "LAMP-04": ("Desk lamp with USB charger", 39.90),
}
CART = Path("cart.json")

server = MCPServer("example-shop")


@server.tool()
def search_products(query: str) -> str:
    """Finds products whose name contains any word of the query; lists all when none match."""
    words = [w for w in query.lower().split() if len(w) > 2]
    found = {s: p for s, p in CATALOGUE.items() if any(w in p[0].lower() for w in words)}
    return "\n".join(f"{s}: {n}, {price:.2f} EUR" for s, (n, price) in (found or CATALOGUE).items())


@server.tool()
def add_to_cart(
    sku: Literal["MUG-01", "TEE-02", "BAG-03", "LAMP-04"],
    quantity: Annotated[int, Field(ge=1, le=10)] = 1,
) -> str:
    """Puts a product into the customer's cart and returns the cart's total."""
    cart: dict[str, int] = json.loads(CART.read_text()) if CART.exists() else {}
    cart[sku] = cart.get(sku, 0) + quantity
    CART.write_text(json.dumps(cart, indent=2))
    total = sum(CATALOGUE[s][1] * n for s, n in cart.items())
    return f"Added {quantity} x {CATALOGUE[sku][0]}. Cart total: {total:.2f} EUR."


if __name__ == "__main__":
    server.run()
