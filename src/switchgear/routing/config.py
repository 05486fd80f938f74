"""The `routes:` and `resilience:` sections of the config file."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from switchgear.cache.config import CacheConfig
from switchgear.classify.config import ClassifyConfig
from switchgear.feeds.config import FeedConfig
from switchgear.knowledge.config import RouteKnowledge
from switchgear.ledger.retention import RetentionPolicy


class RouteTargetConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    model: str
    weight: Annotated[float, msgspec.Meta(gt=0)] = 1.0


class RouteRequirements(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Conditions every target of a route must meet; others are never called."""

    self_hosted: bool = False
    min_context: Annotated[int, msgspec.Meta(ge=0)] = 0
    tools: bool = False
    json_schema: bool = False
    # By the prompt's detected language and the targets' `languages`: `prefer` tries the
    # targets that serve it first (the others stay as fallbacks); `strict` calls only those
    # (a target naming no languages serves any) and refuses the request when none does.
    language: Literal["prefer", "strict"] | None = None


class RouteConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    strategy: Literal["priority", "weighted", "least_latency", "least_busy", "cheapest"] = (
        "priority"
    )
    targets: list[str | RouteTargetConfig]
    require: RouteRequirements = msgspec.field(default_factory=RouteRequirements)
    # Extra attempts on the same target after a retryable failure, before moving on.
    retries: Annotated[int, msgspec.Meta(ge=0, le=10)] = 1
    # Answer from a document collection, with numbered citations (see knowledge/config.py).
    knowledge: RouteKnowledge | None = None
    # Sort text into labels at /v1/classifications (see classify/config.py).
    classify: ClassifyConfig | None = None
    # Commentary on a stream of events at /v1/feeds/{route} (see feeds/config.py).
    feed: FeedConfig | None = None
    # Answers kept and served again, per key or team (see cache/config.py).
    cache: CacheConfig | None = None
    # The prompt template (persona) each request here gets (see templates/config.py).
    template: str | None = None
    # What is kept of this route's requests, and for how long (see ledger/retention.py).
    retention: RetentionPolicy | None = None

    def target_list(self) -> list[RouteTargetConfig]:
        return [
            t if isinstance(t, RouteTargetConfig) else RouteTargetConfig(model=t)
            for t in self.targets
        ]


class ResilienceConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    backoff_base_s: Annotated[float, msgspec.Meta(ge=0)] = 0.1
    backoff_max_s: Annotated[float, msgspec.Meta(ge=0)] = 2.0
    # A Retry-After longer than this moves on to the next target instead of waiting.
    max_retry_after_s: Annotated[float, msgspec.Meta(ge=0)] = 5.0
    breaker_failures: Annotated[int, msgspec.Meta(ge=1)] = 3
    breaker_cooldown_s: Annotated[float, msgspec.Meta(gt=0)] = 30.0
