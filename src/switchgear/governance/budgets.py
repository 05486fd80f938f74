"""Money budgets per key, team and app, per day and per month.

Spend starts from the ledger (one read per scope and period, then kept in memory) and grows
with every answer's cost. A request is refused before it is sent once a budget is spent; past
the soft ratio, answers carry a warning header.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from switchgear.schema.errors import GatewayError


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


class BudgetBook:
    def __init__(self, spend_since: Callable[[str, str, float], float], soft_ratio: float) -> None:
        self._spend_since = spend_since
        self._soft_ratio = soft_ratio
        self._spent: dict[tuple[str, str, str, float], float] = {}

    def _spent_in(self, budget: ScopeBudget, period: str, start: float) -> float:
        key = (budget.column, budget.value, period, start)
        if key not in self._spent:
            self._spent[key] = self._spend_since(budget.column, budget.value, start)
        return self._spent[key]

    def check(self, budgets: list[ScopeBudget]) -> list[str]:
        """Raises when a budget is spent; returns warnings for budgets past the soft ratio."""
        warnings = []
        starts = period_starts(time.time())
        for budget in budgets:
            for period in ("daily", "monthly"):
                limit = getattr(budget, period)
                if limit is None:
                    continue
                spent = self._spent_in(budget, period, starts[period])
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

    def add(self, budgets: list[ScopeBudget], cost: float) -> None:
        if cost <= 0:
            return
        starts = period_starts(time.time())
        for budget in budgets:
            for period in ("daily", "monthly"):
                if getattr(budget, period) is not None:
                    self._spent_in(budget, period, starts[period])
                    self._spent[(budget.column, budget.value, period, starts[period])] += cost
