"""The overview's day and month windows, from the hourly rollups (see `rollup`)."""

from __future__ import annotations

from typing import Any

from switchgear.routing.target import Target


def fill_from_rollups(
    view: Any,
    found: dict[str, Any],
    count: int,
    targets: dict[str, Target],
    reference: Target | None,
) -> None:
    """Series, per-group rows, totals, savings and guard events of `view`."""
    names = ("requests", "errors", "tokens", "cost")
    series: dict[str, list[float | None]] = {n: [0.0] * count for n in names}
    latency_sums = [0.0] * count
    for bucket, *values in found["hours"]:
        index = int((float(bucket) - view.since) // view.bucket_s)
        if 0 <= index < count:
            for name, value in zip(names, values[:4], strict=True):
                series[name][index] = (series[name][index] or 0.0) + float(value)
            latency_sums[index] += float(values[4])
    series["latency_ms"] = [
        latency_sums[i] / n if n else None for i, n in enumerate(series["requests"])
    ]
    series["time"] = [view.since + (i + 1) * view.bucket_s for i in range(count)]
    view.series = series
    groups = found["groups"]
    view.rows = sorted(
        (
            {
                "name": name or "(none)",
                "requests": c.requests,
                "errors": c.errors,
                "prompt_tokens": c.prompt_tokens,
                "completion_tokens": c.completion_tokens,
                "cost": c.cost,
                "ttft_ms": c.ttft_sum / c.ttft_count if c.ttft_count else None,
                "p50_ms": c.percentile(0.5),
                "p95_ms": c.percentile(0.95),
            }
            for name, c in groups.items()
        ),
        key=lambda row: -int(row["requests"]),
    )
    view.totals = {
        "requests": sum(c.requests for c in groups.values()),
        "errors": sum(c.errors for c in groups.values()),
        "tokens": sum(c.prompt_tokens + c.completion_tokens for c in groups.values()),
        "cost": sum(c.cost for c in groups.values()),
    }
    if reference is not None:
        for model, c in found["models"].items():
            served = targets.get(model)
            if served is not None and served.self_hosted:
                would_cost = reference.cost(c.prompt_tokens, c.completion_tokens, 0.0)
                view.saved += would_cost - c.cost
    view.guard_events = found["guards"]
    view.estimated = True
