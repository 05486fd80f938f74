"""The route table: every model id and alias a client may name, resolved to a provider."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from switchgear.config import ModelConfig
from switchgear.providers.base import Provider
from switchgear.schema.errors import NotFound


@dataclass(slots=True, frozen=True)
class ModelRoute:
    model_id: str
    provider_kind: str
    provider: Provider
    upstream_model: str
    context_window: int
    owned_by: str
    created: int
    aliases: tuple[str, ...]


class RouteTable:
    def __init__(self, routes: Iterable[ModelRoute]) -> None:
        self.models = list(routes)
        self._by_name: dict[str, ModelRoute] = {}
        for route in self.models:
            self._by_name[route.model_id] = route
            for alias in route.aliases:
                self._by_name[alias] = route

    @classmethod
    def from_config(cls, models: list[ModelConfig], providers: dict[str, Provider]) -> RouteTable:
        created = int(time.time())
        return cls(
            ModelRoute(
                model_id=m.id,
                provider_kind=m.provider,
                provider=providers[m.id],
                upstream_model=m.id,
                context_window=m.context_window,
                owned_by=m.owned_by,
                created=created,
                aliases=tuple(m.aliases),
            )
            for m in models
        )

    def select_route(self, name: str) -> ModelRoute:
        route = self._by_name.get(name)
        if route is None:
            known = ", ".join(sorted(self._by_name))
            raise NotFound(
                f"The model `{name}` does not exist or you do not have access to it. "
                f"Known models: {known}.",
                param="model",
                code="model_not_found",
            )
        return route

    def names(self) -> list[str]:
        return sorted(self._by_name)
