"""Assembles a gateway from a config: providers, route table, store, ledger, metrics, pipeline."""

from __future__ import annotations

import asyncio
import logging

from switchgear.config import Config
from switchgear.ledger.writer import LedgerWriter
from switchgear.metrics import GatewayMetrics
from switchgear.pipeline import Pipeline
from switchgear.providers.base import Provider
from switchgear.providers.registry import build_provider
from switchgear.routing.table import RouteTable
from switchgear.store.sqlite import SqliteUsageStore

log = logging.getLogger("switchgear")


class Gateway:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.providers: dict[str, Provider] = {m.id: build_provider(m) for m in config.models}
        self.routes = RouteTable.from_config(config.models, self.providers)
        self.store = SqliteUsageStore(config.resolved_data_dir() / "switchgear.db")
        self.ledger = LedgerWriter(self.store)
        self.metrics = GatewayMetrics()
        self.pipeline = Pipeline(self.routes, self.ledger, self.metrics)

    async def start(self) -> None:
        await asyncio.gather(*(provider.start() for provider in self.providers.values()))

    def is_ready(self) -> bool:
        return all(provider.is_ready() for provider in self.providers.values())

    async def stop(self) -> None:
        """Stops generation, then drains the ledger so a clean shutdown loses no row."""
        for provider in self.providers.values():
            try:
                await provider.aclose()
            except Exception:
                log.exception("provider failed to close")
        await asyncio.to_thread(self.ledger.close)
        self.store.close()
