"""Money budgets per key, team and app, per day and per month.

Spend starts from the ledger (one read per scope and period, then kept in memory, or in Redis
when several gateways share the work) and grows with every answer's cost. A request is refused
before it is sent once a budget is spent; past the soft ratio, answers carry a warning header.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from switchgear.schema.errors import GatewayError

PERIODS = ("daily", "monthly")


@dataclass(slots=True, frozen=True)
class ScopeBudget:
    column: str  # key_id | team | app
    value: str
    daily: float | None = None
    monthly: float | None = None

    @property
    def label(self) -> str:
        return f"{ {'key_id': 'key', 'team': 'team', 'app': 'app'}[self.column] }:{self.value}"


class BudgetExceeded(GatewayError):
    status = 429
    type = "insufficient_quota"


def period_starts(now: float) -> dict[str, float]:
    moment = datetime.fromtimestamp(now, UTC)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return {"daily": day.timestamp(), "monthly": day.replace(day=1).timestamp()}


SpendSince = Callable[[str, str, float], float]


class SpendCounter(Protocol):
    async def spent(self, key: str, seed: Callable[[], float]) -> float: ...

    async def add(self, key: str, amount: float, seed: Callable[[], float]) -> None: ...


class MemorySpend:
    def __init__(self) -> None:
        self._spent: dict[str, float] = {}

    async def spent(self, key: str, seed: Callable[[], float]) -> float:
        if key not in self._spent:
            self._spent[key] = await asyncio.to_thread(seed)
        return self._spent[key]

    async def add(self, key: str, amount: float, seed: Callable[[], float]) -> None:
        await self.spent(key, seed)
        self._spent[key] += amount


class RedisSpend:
    """Shared spend: seeded once from the ledger (SET NX), then INCRBYFLOAT by every replica."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    async def spent(self, key: str, seed: Callable[[], float]) -> float:
        value = await self._redis.get(key)
        if value is None:
            await self._redis.set(key, await asyncio.to_thread(seed), nx=True, ex=40 * 86400)
            value = await self._redis.get(key)
        return float(value)

    async def add(self, key: str, amount: float, seed: Callable[[], float]) -> None:
        await self.spent(key, seed)
        await self._redis.incrbyfloat(key, amount)


class BudgetBook:
    def __init__(self, spend_since: SpendSince, soft_ratio: float, counter: SpendCounter) -> None:
        self._spend_since = spend_since
        self._soft_ratio = soft_ratio
        self._counter = counter

    def _key(
        self, budget: ScopeBudget, period: str, start: float
    ) -> tuple[str, Callable[[], float]]:
        key = f"sg:spend:{budget.column}:{budget.value}:{period}:{int(start)}"
        return key, lambda: self._spend_since(budget.column, budget.value, start)

    async def check(self, budgets: list[ScopeBudget]) -> list[str]:
        """Raises when a budget is spent; returns warnings for budgets past the soft ratio."""
        warnings = []
        starts = period_starts(time.time())
        for budget in budgets:
            for period in PERIODS:
                limit = getattr(budget, period)
                if limit is None:
                    continue
                spent = await self._counter.spent(*self._key(budget, period, starts[period]))
                if spent >= limit:
                    raise BudgetExceeded(
                        f"The {period} budget of {budget.label} is spent "
                        f"({spent:.4f} of {limit:.4f}).",
                        code="budget_exceeded",
                        param=period,
                        headers={"x-switchgear-limit": f"{budget.label}:{period}_budget"},
                    )
                if spent >= limit * self._soft_ratio:
                    warnings.append(f"{budget.label} {period} budget {spent:.4f}/{limit:.4f}")
        return warnings

    async def add(self, budgets: list[ScopeBudget], cost: float) -> None:
        if cost <= 0:
            return
        starts = period_starts(time.time())
        for budget in budgets:
            for period in PERIODS:
                if getattr(budget, period) is not None:
                    key, seed = self._key(budget, period, starts[period])
                    await self._counter.add(key, cost, seed)
