"""cache: on the way in, an answer cached for this request (or, on a semantic route, for a
paraphrase of its last message) becomes the trip's replay, which the provider step streams
instead of asking a target; on the way out, a fresh answer that ended well is kept.

It sits after `route` (the route says whether and how to cache) and before `guards.out`, so
it keeps what the provider sent and the guards still treat a replay like a fresh answer:
pseudonyms come back as the asking trip's own values, filters apply. Only routes with
`cache:` pay anything. `Cache-Control: no-cache` skips the lookup, `no-store` the keeping,
`max-age=N` takes only entries younger than N seconds."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np

from switchgear.cache.backends import ResponseCache, open_cache
from switchgear.cache.config import CacheConfig
from switchgear.cache.control import CACHE_CONTROL, CacheControl
from switchgear.cache.keys import partition_of, request_hash, semantic_parts
from switchgear.cache.store import CachedAnswer, CacheStore
from switchgear.knowledge.embedder import Embedder, minilm_for
from switchgear.providers.base import DeltaStream
from switchgear.schema.generation import Delta
from switchgear.stages.base import StageBase
from switchgear.stages.context import StageContext
from switchgear.trip import Trip

log = logging.getLogger("switchgear.cache")
_deltas = msgspec.json.Decoder(list[Delta])
_ENDINGS = {"stop", "length", "tool_calls", "function_call"}


@dataclass(slots=True)
class Ticket:
    """What the way out needs to keep this trip's answer."""

    config: CacheConfig
    partition: str
    key: str
    context: str | None
    vector: Any  # np.ndarray | None
    store: bool


class CacheStage(StageBase):
    name = "cache"
    kinds = frozenset({"chat.completions", "completions"})

    def __init__(
        self,
        configs: dict[str, CacheConfig],
        store: ResponseCache,
        embedder: Callable[[], Embedder],
    ) -> None:
        self.configs = configs
        self.store = store
        self.embedder = embedder

    async def enter(self, trip: Trip) -> None:
        config = self.configs.get(trip.route or "")
        if config is None or (trip.needs is not None and trip.needs.logprobs):
            return
        control: CacheControl = CACHE_CONTROL.get()
        identity = trip.admission.identity if trip.admission is not None else None
        partition = partition_of(
            trip.route or "", config,
            identity.key_id if identity else None, identity.team if identity else None,
        )  # fmt: skip
        request = getattr(trip.request, "chat", trip.request)
        ticket = Ticket(
            config, partition, request_hash(trip.model, request), None, None, not control.no_store
        )
        trip.cache = ticket
        trip.cache_status = "miss"
        newer_than = time.time() - control.max_age if control.max_age is not None else 0.0
        found = None
        if not control.no_cache:
            try:
                found = await asyncio.to_thread(
                    self._lookup, trip.model, request, ticket, newer_than
                )
            except Exception:  # a cache that cannot be read is a miss, not a failed request
                log.exception("cache lookup failed for %s", trip.request_id)
        if found is not None:
            trip.replay = (_deltas.decode(found.answer), found.target)
            trip.cache_status = "hit"

    def _lookup(
        self, model: str, request: Any, ticket: Ticket, newer_than: float
    ) -> CachedAnswer | None:
        found = self.store.exact(ticket.partition, ticket.key, newer_than)
        if found is not None or ticket.config.mode != "semantic":
            return found
        parts = semantic_parts(model, request)
        if parts is None:
            return None
        self._embed(ticket, parts)
        nearest = self.store.nearest(ticket.partition, parts[0], ticket.vector, newer_than)
        if nearest is None or nearest[0] < ticket.config.threshold:
            return None
        return nearest[1]

    def _embed(self, ticket: Ticket, parts: tuple[str, str]) -> None:
        """The ticket's context hash and the vector of its last user message (blocking)."""
        ticket.context, text = parts
        ticket.vector = np.asarray(self.embedder().embed([text])[0], dtype=np.float32)

    async def drain(self) -> None:
        await super().drain()
        close = getattr(self.store, "close", None)
        if close is not None:  # Redis clients and the sqlite-vec file; the store closes itself
            close()

    def wrap(self, trip: Trip, deltas: DeltaStream) -> DeltaStream:
        ticket = trip.cache
        if ticket is None or trip.cache_status != "miss" or not ticket.store:
            return deltas
        assert trip.attempting is not None
        return self._keep(trip, ticket, deltas, trip.attempting.label)

    async def _keep(
        self, trip: Trip, ticket: Ticket, deltas: DeltaStream, target: str
    ) -> DeltaStream:
        kept: list[Delta] = []
        async for delta in deltas:
            kept.append(delta)
            yield delta
        # Only a whole answer (this attempt's stream ran to its end) is kept.
        if not any(d.finish_reason in _ENDINGS for d in kept):
            return
        entry = CachedAnswer(msgspec.json.encode(kept), target, time.time())
        # Kept before the answer ends (a millisecond or two), so the next request finds it.
        await asyncio.to_thread(self._put, trip, ticket, entry)

    def _put(self, trip: Trip, ticket: Ticket, entry: CachedAnswer) -> None:
        try:
            if ticket.config.mode == "semantic" and ticket.vector is None:
                request = getattr(trip.request, "chat", trip.request)
                parts = semantic_parts(trip.model, request)
                if parts is not None:
                    self._embed(ticket, parts)
            c = ticket.config
            self.store.put(ticket.partition, ticket.key, ticket.context, ticket.vector, entry,
                           c.ttl_s, trip.route or "", c.max_entries)  # fmt: skip
        except Exception:  # a cache that cannot keep an answer must not fail the answer
            log.exception("could not cache the answer of %s", trip.request_id)


def build(context: StageContext) -> CacheStage:
    configs = {name: r.cache for name, r in context.config.routes.items() if r.cache is not None}
    assert context.store is not None, "the gateway passes its store"
    config = context.config
    # Nothing is opened (no Redis client, no vector file or table) for a gateway that caches
    # nothing, and no vector backend where every cached route is exact.
    semantic = any(c.mode == "semantic" for c in configs.values())
    store: ResponseCache = (
        open_cache(config.response_cache, context.store, config.resolved_redis_url(),
                   config.resolved_data_dir(), semantic=semantic)
        if configs else CacheStore(context.store)
    )  # fmt: skip
    embedding = config.knowledge.embedding
    embedder = minilm_for(
        embedding.model,
        lambda: context.knowledge().embedder,
        embedding.batch_size,
        embedding.threads,
    )
    return CacheStage(configs, store, embedder)
