"""The route table as data: what `GET /admin/routes` returns and `switchgear routes` prints."""

from __future__ import annotations

from typing import Any

from switchgear.ledger.retention import DEFAULT_POLICY
from switchgear.routing.router import Router
from switchgear.routing.target import Target


def describe_routes(router: Router) -> dict[str, Any]:
    def target_row(target: Target, weight: float | None = None) -> dict[str, Any]:
        health = router.health[target.model_id]
        row: dict[str, Any] = {
            "target": target.label,
            "kind": target.provider_kind,
            "self_hosted": target.self_hosted,
            "circuit": health.state,
            "in_flight": health.in_flight,
            "ttft_ms": None if health.ttft_ewma_s is None else round(health.ttft_ewma_s * 1000, 1),
            "successes": health.successes,
            "failures": health.failures,
        }
        if weight is not None:
            row["weight"] = weight
        return row

    routes = {
        name: {
            "strategy": route.strategy,
            "retries": route.retries,
            "require": {
                "self_hosted": route.require.self_hosted,
                "min_context": route.require.min_context,
                "tools": route.require.tools,
                "json_schema": route.require.json_schema,
            },
            "targets": [
                target_row(router.find_model(t.model), t.weight) for t in route.target_list()
            ],
            "template": route.template,
            # What the ledger keeps of this route's requests (ledger/retention.py).
            "retention": (route.retention or DEFAULT_POLICY).as_dict(),
        }
        for name, route in router.routes.items()
    }
    models = {
        target.model_id: {**target_row(target), "aliases": list(target.aliases)}
        for target in router.targets
    }
    return {"routes": routes, "models": models}


def format_routes(table: dict[str, Any], live: bool) -> str:
    lines = []
    note = "" if live else "  (gateway not running: health unknown)"
    lines.append(
        f"{'ROUTE / MODEL':<24} {'STRATEGY':<14} {'TARGET':<40} {'CIRCUIT':<10} TTFT{note}"
    )
    for name, route in table["routes"].items():
        for i, t in enumerate(route["targets"]):
            label = name if i == 0 else ""
            strategy = route["strategy"] if i == 0 else ""
            ttft = "-" if t["ttft_ms"] is None else f"{t['ttft_ms']:.0f}ms"
            circuit = t["circuit"] if live else "?"
            lines.append(f"{label:<24} {strategy:<14} {t['target']:<40} {circuit:<10} {ttft}")
    for model_id, t in table["models"].items():
        ttft = "-" if t["ttft_ms"] is None else f"{t['ttft_ms']:.0f}ms"
        circuit = t["circuit"] if live else "?"
        lines.append(f"{model_id:<24} {'direct':<14} {t['target']:<40} {circuit:<10} {ttft}")
    return "\n".join(lines)
