"""The gateway's parts a stage factory may use (a plugin's factory gets the same object)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from switchgear.config import Config
from switchgear.governance.governor import Governor
from switchgear.guards import Guards
from switchgear.knowledge import RouteKnowledge
from switchgear.ledger.writer import LedgerWriter
from switchgear.metrics import GatewayMetrics
from switchgear.routing.router import Router
from switchgear.store.sql import SqlStore

if TYPE_CHECKING:
    from switchgear.knowledge.service import Knowledge


@dataclass(frozen=True, slots=True)
class StageContext:
    config: Config
    governor: Governor
    guards: Guards
    router: Router
    ledger: LedgerWriter
    metrics: GatewayMetrics
    knowledge: Callable[[], Knowledge]  # opened on first use
    bindings: dict[str, RouteKnowledge]  # route -> the collection it answers from
    # (purpose, route, prompt) -> answer text: an internal call through the whole pipeline.
    complete_internal: Callable[[str, str, str], Awaitable[str]]
    # Hashes caller identifiers for the ledger (a keyed hash; see `ledger.user`).
    hash_caller_id: Callable[[str], str]
    # The gateway's database, for stages that keep state of their own (the response cache).
    store: SqlStore | None = None
