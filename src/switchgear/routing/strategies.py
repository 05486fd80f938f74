"""Orders a route's eligible targets; the router then tries them in that order."""

from __future__ import annotations

import random
from collections.abc import Callable

from switchgear.routing.health import TargetHealth
from switchgear.routing.target import Target

Weighted = tuple[Target, float]
Order = Callable[[list[Weighted], dict[str, TargetHealth], int], list[Target]]


def priority(targets: list[Weighted], health: dict[str, TargetHealth], _: int) -> list[Target]:
    return [t for t, _w in targets]


def weighted(targets: list[Weighted], health: dict[str, TargetHealth], _: int) -> list[Target]:
    """Weighted random choice first; the rest follow (also weighted) as fallbacks."""
    pool = list(targets)
    ordered: list[Target] = []
    while pool:
        pick = random.choices(range(len(pool)), weights=[w for _t, w in pool])[0]
        ordered.append(pool.pop(pick)[0])
    return ordered


def least_latency(targets: list[Weighted], health: dict[str, TargetHealth], _: int) -> list[Target]:
    """Unmeasured targets go first, so every target gets measured."""

    def key(item: tuple[int, Weighted]) -> tuple[float, int]:
        position, (target, _w) = item
        ewma = health[target.model_id].ttft_ewma_s
        return (-1.0 if ewma is None else ewma, position)

    return [t for _p, (t, _w) in sorted(enumerate(targets), key=key)]


def least_busy(targets: list[Weighted], health: dict[str, TargetHealth], _: int) -> list[Target]:
    return [
        t
        for _p, (t, _w) in sorted(
            enumerate(targets), key=lambda item: (health[item[1][0].model_id].in_flight, item[0])
        )
    ]


def cheapest(
    targets: list[Weighted], health: dict[str, TargetHealth], prompt_tokens: int
) -> list[Target]:
    """By the price of this prompt plus as many output tokens, a fair guess before generation."""

    def cost(target: Target) -> float:
        tokens = max(prompt_tokens, 1)
        return tokens * (target.input_price_per_mtok + target.output_price_per_mtok)

    return [t for _p, (t, _w) in sorted(enumerate(targets), key=lambda i: (cost(i[1][0]), i[0]))]


STRATEGIES: dict[str, Order] = {
    "priority": priority,
    "weighted": weighted,
    "least_latency": least_latency,
    "least_busy": least_busy,
    "cheapest": cheapest,
}
