"""Money budgets per key, team and app, per day and per month.

Spend starts from the ledger (one read per scope and period, then kept in memory, or in Redis
when several gateways share the work). Admission reserves the request's estimated cost in the
same atomic step that checks the budget, and the end of the answer settles the difference, so
200 concurrent requests cannot all slip under a budget that has room for one: the overshoot is
at most one request's estimate. Past the soft ratio, answers carry a warning header.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from switchgear.governance.limits import shared_counters
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


def _seconds_until_next(period: str, now: float) -> int:
    """When a spent budget frees up again: the next UTC midnight, or the next month."""
    day = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "daily":
        reset = day + timedelta(days=1)
    else:
        first = day.replace(day=1)
        reset = (
            first.replace(year=first.year + 1, month=1)
            if first.month == 12
            else (first.replace(month=first.month + 1))
        )
    return max(1, int(reset.timestamp() - now))


class SpendCounter(Protocol):
    async def spent(self, key: str, seed: Callable[[], float]) -> float: ...

    async def add(self, key: str, amount: float, seed: Callable[[], float]) -> None: ...

    async def reserve(
        self, key: str, amount: float, limit: float, seed: Callable[[], float]
    ) -> tuple[bool, float]:
        """Adds `amount` if the spend (reservations included) is under `limit`, atomically;
        returns whether it did, and the spend found before (for warnings and refusals)."""
        ...


class MemorySpend:
    def __init__(self) -> None:
        self._spent: dict[str, float] = {}
        self._seeding: dict[str, asyncio.Future[float]] = {}

    async def spent(self, key: str, seed: Callable[[], float]) -> float:
        if key not in self._spent:
            # One ledger read per key: concurrent first requests wait for the same one, so
            # none of them overwrites what another has reserved meanwhile.
            pending = self._seeding.get(key)
            if pending is None:
                pending = self._seeding[key] = asyncio.ensure_future(asyncio.to_thread(seed))
            value = await asyncio.shield(pending)
            self._spent.setdefault(key, value)
            self._seeding.pop(key, None)
        return self._spent[key]

    async def add(self, key: str, amount: float, seed: Callable[[], float]) -> None:
        await self.spent(key, seed)
        self._spent[key] += amount

    async def reserve(
        self, key: str, amount: float, limit: float, seed: Callable[[], float]
    ) -> tuple[bool, float]:
        await self.spent(key, seed)
        # No await between the check and the update: atomic on the event loop.
        current = self._spent[key]
        if current >= limit:
            return False, current
        self._spent[key] = current + amount
        return True, current


class RedisSpend:
    """Shared spend: seeded once from the ledger (SET NX), then INCRBYFLOAT by every replica."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    async def spent(self, key: str, seed: Callable[[], float]) -> float:
        with shared_counters():
            value = await self._redis.get(key)
            if value is None:
                await self._redis.set(key, await asyncio.to_thread(seed), nx=True, ex=40 * 86400)
                value = await self._redis.get(key)
        return float(value)

    async def add(self, key: str, amount: float, seed: Callable[[], float]) -> None:
        await self.spent(key, seed)
        with shared_counters():
            await self._redis.incrbyfloat(key, amount)

    async def reserve(
        self, key: str, amount: float, limit: float, seed: Callable[[], float]
    ) -> tuple[bool, float]:
        await self.spent(key, seed)
        # One script on the server: every replica's check-and-add is one atomic step.
        with shared_counters():
            reserved, spent = await self._redis.eval(_RESERVE, 1, key, amount, limit)
        return bool(int(reserved)), float(spent)


_RESERVE = """
local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
if spent >= tonumber(ARGV[2]) then return {0, tostring(spent)} end
redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
return {1, tostring(spent)}
"""


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

    async def check(self, budgets: list[ScopeBudget], estimate: float = 0.0) -> list[str]:
        """Reserves `estimate` in every budget, or raises (reserving nothing) when one is
        spent; returns warnings for budgets past the soft ratio."""
        warnings = []
        now = time.time()
        starts = period_starts(now)
        reserved: list[tuple[str, Callable[[], float]]] = []
        for budget in budgets:
            for period in PERIODS:
                limit = getattr(budget, period)
                if limit is None:
                    continue
                key, seed = self._key(budget, period, starts[period])
                reserved_now, spent = await self._counter.reserve(key, estimate, limit, seed)
                if not reserved_now:
                    for done_key, done_seed in reserved:
                        await self._counter.add(done_key, -estimate, done_seed)
                    raise BudgetExceeded(
                        f"The {period} budget of {budget.label} is spent "
                        f"({spent:.4f} of {limit:.4f}).",
                        code="budget_exceeded",
                        param=period,
                        headers={
                            "x-switchgear-limit": f"{budget.label}:{period}_budget",
                            "retry-after": str(_seconds_until_next(period, now)),
                        },
                    )
                reserved.append((key, seed))
                if spent >= limit * self._soft_ratio:
                    warnings.append(f"{budget.label} {period} budget {spent:.4f}/{limit:.4f}")
        return warnings

    async def add(self, budgets: list[ScopeBudget], cost: float) -> None:
        """Adds `cost` (or, at settlement, the actual cost less what was reserved)."""
        if cost == 0:
            return
        starts = period_starts(time.time())
        for budget in budgets:
            for period in PERIODS:
                if getattr(budget, period) is not None:
                    key, seed = self._key(budget, period, starts[period])
                    await self._counter.add(key, cost, seed)
