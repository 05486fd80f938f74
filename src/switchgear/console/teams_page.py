"""Teams and apps: their keys, and their spend today and this month against the budgets the
config gives them. The budget check sums the ledger's cost since the start of the UTC day and
month; the same rows are summed here through the console's hourly rollups (those periods
start on whole hours, so no hour is split), which stays quick on a month of a large ledger."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchgear.console.rollup import roll_up
from switchgear.console.web import gateway_of, page_session, render
from switchgear.gateway import Gateway
from switchgear.governance.budgets import PERIODS, period_starts
from switchgear.store.base import KeyRow


@dataclass(slots=True)
class Scope:
    kind: str  # team | app
    name: str
    keys: list[KeyRow] = field(default_factory=list)
    budgets: dict[str, float] = field(default_factory=dict)  # period -> dollars
    spent: dict[str, float] = field(default_factory=dict)  # period -> dollars

    def share(self, period: str) -> float | None:
        """The part of the period's budget spent, 0..1 (more when over); None: no budget."""
        budget = self.budgets.get(period)
        if budget is None:
            return None
        return 1.0 if budget == 0 else self.spent.get(period, 0.0) / budget


Spend = dict[tuple[str, str], dict[str, float]]  # (team|app, name) -> period -> dollars


def spend_by_scope(gateway: Gateway, now: float) -> Spend:
    """Each team's and app's cost since the start of the UTC day and of the month (after
    rolling up the rows committed since the last look)."""
    starts = period_starts(now)
    store = gateway.store
    roll_up(store)

    def run(cursor: Any) -> list[Any]:
        cursor.execute(
            store.sql(
                "SELECT team, app, SUM(cost), SUM(CASE WHEN bucket >= ? THEN cost ELSE 0 END) "
                "FROM console_rollup WHERE bucket >= ? GROUP BY team, app"
            ),
            (starts["daily"], starts["monthly"]),
        )
        return list(cursor.fetchall())

    spent: Spend = {}
    for team, app, month, day in store.transaction(run):
        for scope in (("team", team), ("app", app)):
            if scope[1]:  # '' in the rollups: no team (or app)
                sums = spent.setdefault(scope, {"daily": 0.0, "monthly": 0.0})
                sums["daily"] += float(day)
                sums["monthly"] += float(month)
    return spent


def scopes(gateway: Gateway, kind: str, spent: Spend) -> list[Scope]:
    """Every team (or app) a key names or the config sets budgets for, by name."""
    settings = gateway.config.governance.teams if kind == "team" else gateway.config.governance.apps
    found: dict[str, Scope] = {name: Scope(kind, name) for name in settings}
    for row in gateway.governor.keys.list():
        name = row.team if kind == "team" else row.app
        if name:
            found.setdefault(name, Scope(kind, name)).keys.append(row)
    for name, scope in found.items():
        configured = settings.get(name)
        if configured is not None:
            for period in PERIODS:
                amount = getattr(configured.budgets, period)
                if amount is not None:
                    scope.budgets[period] = float(amount)
        scope.spent = spent.get((kind, name), {period: 0.0 for period in PERIODS})
    return [found[name] for name in sorted(found)]


async def teams_page(request: Request) -> Response:
    session = page_session(request)
    if isinstance(session, Response):
        return session
    gateway = gateway_of(request)

    def read() -> dict[str, Any]:
        gateway.ledger.flush()
        spent = spend_by_scope(gateway, time.time())
        return {"teams": scopes(gateway, "team", spent), "apps": scopes(gateway, "app", spent)}

    found = await asyncio.to_thread(read)
    return render(request, "teams.html", session, periods=PERIODS, **found)


ROUTES = [Route("/console/teams", teams_page, methods=["GET"])]
