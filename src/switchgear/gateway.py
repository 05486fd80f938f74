"""Assembles a gateway from a config: providers, route table, store, ledger, metrics, pipeline."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING

from switchgear.batch.build import build_batches
from switchgear.catalog import build_catalog
from switchgear.config import EMBEDDED, Config, ModelConfig, plugin_problems
from switchgear.embeddings.local import builtin_targets
from switchgear.governance.budgets import BudgetBook, MemorySpend, RedisSpend, SpendCounter
from switchgear.governance.governor import Governor
from switchgear.governance.keys import KeyRing
from switchgear.governance.limits import Limiter, MemoryLimiter
from switchgear.guards import Guards
from switchgear.guards.pii_stage import hash_caller_id
from switchgear.ledger.writer import LedgerWriter
from switchgear.mcp.service import McpService
from switchgear.metrics import GatewayMetrics
from switchgear.pipeline import Pipeline
from switchgear.plugins import ProviderSetup, registry
from switchgear.providers.base import Provider
from switchgear.responses_service import ResponseServices
from switchgear.routing.router import Router
from switchgear.routing.target import Target
from switchgear.services import KindServices
from switchgear.stages.base import Stage
from switchgear.stages.context import StageContext
from switchgear.store import open_store
from switchgear.store.responses import ResponseStore
from switchgear.tracing.spans import Tracing

if TYPE_CHECKING:
    from switchgear.knowledge.service import Knowledge

log = logging.getLogger("switchgear")

KEY_REFRESH_S = 2.0
EMBEDDED_LICENCE = "Apache-2.0"
EMBEDDED_LICENCE_URL = "https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct"


class Gateway:
    def __init__(self, config: Config, providers: dict[str, Provider] | None = None) -> None:
        """`providers`: ready-made providers by `providers:` entry name or local model id,
        in place of the ones the config would build (tests pass `MockProvider`s)."""
        problems = plugin_problems(config)
        if problems:
            (path, message), *_ = problems
            raise ValueError(f"{config.source}: {'.'.join(map(str, path))}: {message}")
        self.config = config
        self.plugins = registry()
        given = providers or {}
        self.providers: dict[str, Provider] = {}
        for name, settings in config.providers.items():
            self.providers[name] = given.get(name) or self.plugins.provider(settings.kind).build(
                ProviderSetup(name, settings=settings)
            )
        for model in config.models:
            if model.provider not in config.providers:
                self.providers[model.id] = given.get(model.id) or self.plugins.provider(
                    model.provider
                ).build(ProviderSetup(model.id, model=model))
        created = int(time.time())
        targets = [self._target(m, created) for m in config.models]
        # The built-in embedders are targets too (routes and policies see them); a configured
        # model of the same name takes the name.
        taken = {name for t in targets for name in (t.model_id, *t.aliases)}
        builtin = builtin_targets(config.knowledge.embedding, created)
        targets += [t for t in builtin if not {t.model_id, *t.aliases} & taken]
        self.router = Router(targets, config.routes, config.resilience)
        self.store = open_store(config.resolved_database_url(), config.resolved_data_dir())
        self.ledger = LedgerWriter(self.store)
        self.metrics = GatewayMetrics()
        self.metrics.watch_circuits(self.router)
        self.governor = self._governor()
        id_key = bytes.fromhex(self.store.secret("caller_id_key"))
        self.guards = Guards(config.guards, judge=self._judge, id_key=id_key)
        self.bindings = {
            name: route.knowledge for name, route in config.routes.items() if route.knowledge
        }
        self._knowledge: Knowledge | None = None
        self._knowledge_lock = threading.Lock()
        context = StageContext(
            config=config,
            governor=self.governor,
            guards=self.guards,
            router=self.router,
            ledger=self.ledger,
            metrics=self.metrics,
            knowledge=self.knowledge,
            bindings=self.bindings,
            complete_internal=self._complete_internal,
            hash_caller_id=lambda value: hash_caller_id(id_key, value),
            store=self.store,
        )
        stages: list[Stage] = [
            self.plugins.stages[name].build(context) for name in config.pipeline.stages
        ]
        catalog = build_catalog(config, self.router, created)
        services = KindServices(
            self.knowledge,
            self.bindings,
            self.guards,
            self.router,
            catalog,
            lambda request: self.pipeline.run(request),
        )
        # The MCP servers' tools, served at /mcp; each call is a trip of its own.
        self.mcp = McpService(config.mcp, self.guards, lambda request: self.pipeline.run(request))
        retention_s = config.responses.retention_days * 86400
        self.responses = ResponseStore(self.store, retention_s)
        # Files and batches: each line of a batch is a trip of its own (door `batch.<kind>`).
        batches = build_batches(
            config,
            self.store,
            self.governor.keys,
            lambda *args: self.pipeline.run(*args),
            lambda endpoint, error: self.pipeline.record_rejected(endpoint, error),
        )
        self.batches, self.batch_lines = batches.runner, batches.lines
        table = {
            **services.table(),
            **self.mcp.services(),
            **ResponseServices(self.responses).table(),
            **batches.services.table(),
        }
        self.tracing = Tracing(config.tracing)
        self.pipeline = Pipeline(stages, self.router, table, self.tracing)
        self._refresher: asyncio.Task[None] | None = None

    def knowledge(self) -> Knowledge:
        """The document index and embedder, opened on first use (a gateway that never embeds
        or retrieves never loads the model)."""
        with self._knowledge_lock:
            if self._knowledge is None:
                from switchgear.knowledge.service import Knowledge

                opened = Knowledge.open(self.config.knowledge, self.config.resolved_data_dir())
                for binding in self.bindings.values():
                    opened.store.ensure_collection(binding.collection)
                self._knowledge = opened
            return self._knowledge

    async def _judge(self, route: str, prompt: str) -> str:
        return await self.pipeline.complete_internal("judge", route, prompt)

    async def _complete_internal(self, purpose: str, route: str, prompt: str) -> str:
        return await self.pipeline.complete_internal(purpose, route, prompt)

    def _governor(self) -> Governor:
        rules = self.config.governance
        redis_url = self.config.resolved_redis_url()
        limiter: Limiter
        spend: SpendCounter
        if rules.limiter == "redis" or (rules.limiter == "auto" and redis_url):
            if not redis_url:
                raise ValueError("limiter: redis needs redis_url (or SWITCHGEAR_REDIS_URL)")
            from switchgear.governance.redis_limits import RedisLimiter

            redis_limiter = RedisLimiter(redis_url)
            limiter, spend = redis_limiter, RedisSpend(redis_limiter.redis)
        else:
            limiter, spend = MemoryLimiter(), MemorySpend()
        keys = KeyRing(self.store, rules.admin_key())
        budgets = BudgetBook(self.store.spend_since, rules.soft_budget_ratio, spend)
        return Governor(rules, keys, limiter, budgets)

    def _target(self, model: ModelConfig, created: int) -> Target:
        remote = self.config.providers.get(model.provider)
        local = remote is None  # a per-model engine, like the embedded llama.cpp
        kind = self.plugins.provider(model.provider if remote is None else remote.kind)
        return Target(
            model_id=model.id,
            provider_name=model.provider,
            provider_kind=model.provider if remote is None else remote.kind,
            provider=self.providers[model.id if local else model.provider],
            upstream_model=model.upstream_model or model.id,
            context_window=model.context_window,
            self_hosted=kind.self_hosted if remote is None else remote.self_hosted,
            # The embedded engine calls tools through its grammar; remote APIs are assumed to
            # have both unless the config says otherwise.
            supports_tools=True if model.supports_tools is None else model.supports_tools,
            supports_json_schema=(
                True if model.supports_json_schema is None else model.supports_json_schema
            ),
            supports_logprobs=model.supports_logprobs,
            supports_n=model.supports_n,
            input_price_per_mtok=model.input_price_per_mtok,
            output_price_per_mtok=model.output_price_per_mtok,
            owned_by=model.owned_by,
            created=created,
            aliases=tuple(model.aliases),
            cost_per_hour=model.cost_per_hour,
            licence=model.licence
            or (EMBEDDED_LICENCE if model.path == EMBEDDED and local else "unknown"),
            licence_url=model.licence_url
            or (EMBEDDED_LICENCE_URL if model.path == EMBEDDED and local else None),
            licence_terms=tuple(model.licence_terms),
            modalities=tuple(model.modalities),
            region=model.region or ("local" if local else "unknown"),
        )

    async def start(self) -> None:
        await asyncio.gather(*(provider.start() for provider in self.providers.values()))
        await self.mcp.start()  # a server that is down does not stop the gateway
        # Guard models load before the first request, not during it.
        await asyncio.to_thread(self.guards.warm_up)
        if self.bindings or self.config.knowledge.collections:
            # Loading the embedder takes a while and holds the GIL part of that time: at
            # start, not while the first search makes every other request wait.
            await asyncio.to_thread(lambda: self.knowledge().warm_up())
        if self.governor.keys.enforced:
            log.info("API keys required (admin key or virtual keys configured)")
        else:
            log.warning("no API keys configured: the gateway is open to loopback callers only")
        self._refresher = asyncio.get_running_loop().create_task(self._refresh_keys())
        await self.batches.start()  # picks up batches a previous process left unfinished

    async def _refresh_keys(self) -> None:
        """Keys created or revoked through another replica reach this one within seconds."""
        while True:
            await asyncio.sleep(KEY_REFRESH_S)
            try:
                await asyncio.to_thread(self.governor.keys.refresh)
            except Exception:
                log.exception("key refresh failed")

    def is_ready(self) -> bool:
        return all(provider.is_ready() for provider in self.providers.values())

    async def stop(self) -> None:
        """Stops generation, settles what is still being settled, then drains the ledger so a
        clean shutdown loses no row."""
        if self._refresher is not None:
            self._refresher.cancel()
        await self.batches.stop()  # lines in flight stay pending, for the next start
        await self.pipeline.drain()
        await self.mcp.stop()
        for provider in self.providers.values():
            try:
                await provider.aclose()
            except Exception:
                log.exception("provider failed to close")
        await asyncio.to_thread(self.ledger.close)
        await asyncio.to_thread(self.tracing.shutdown)  # exports the last spans
        self.store.close()
        if self._knowledge is not None:
            self._knowledge.close()
