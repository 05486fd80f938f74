"""examples/commerce-tools: its README run as written against a real gateway in front of the
example's own stdio MCP server."""

from __future__ import annotations

import json
from pathlib import Path

from tests.examples.blueprint import run_blueprint, table_rows

CATALOGUE = {"MUG-01", "TEE-02", "BAG-03", "LAMP-04"}


def test_tools_per_team_at_mcp_and_the_gateway_runs_the_models_call(tmp_path: Path) -> None:
    run = run_blueprint("commerce-tools", tmp_path)
    shown = dict(line.split(": ", 1) for line in run.output_of("python shop.py").splitlines())
    assert shown["partner sees"] == "['shop__search_products']"
    assert shown["partner search"] == "MUG-01: Blue ceramic mug, 350 ml, 12.00 EUR"
    assert "may not call the tool `shop__add_to_cart`" in shown["partner add_to_cart"]
    assert shown["assistant tool calls"] == "1"

    # The model's call reached the shop's server with arguments its schema allows.
    cart = json.loads((run.folder / "cart.json").read_text())
    assert json.loads(shown["cart"]) == cart
    assert len(cart) == 1 and set(cart) <= CATALOGUE and 1 <= next(iter(cart.values())) <= 10

    usage = {(r["team"], r["model"]): r for r in table_rows(run.output_of("switchgear usage"))}
    assert usage[("partners", "shop__add_to_cart")]["errors"] == "1"  # refused, ledgered
    assert usage[("storefront", "shop__add_to_cart")]["errors"] == "0"
    assert usage[("storefront", "smollm2-135m-instruct")]["requests"] == "2"  # call, answer
    print(f"shop.py took {run.seconds_of('python shop.py'):.2f} s")
