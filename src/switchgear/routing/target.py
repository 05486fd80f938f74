"""A target: one model on one provider, with what the router needs to know about it."""

from __future__ import annotations

from dataclasses import dataclass

from switchgear.providers.base import Provider


@dataclass(slots=True, frozen=True)
class Target:
    model_id: str
    provider_name: str
    provider_kind: str
    provider: Provider
    upstream_model: str
    context_window: int
    self_hosted: bool
    supports_tools: bool
    supports_json_schema: bool
    input_price_per_mtok: float
    output_price_per_mtok: float
    owned_by: str
    created: int
    aliases: tuple[str, ...]
    cost_per_hour: float = 0.0
    licence: str = "unknown"
    licence_url: str | None = None
    licence_terms: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ("text",)
    region: str = "unknown"

    def cost(self, prompt_tokens: int, completion_tokens: int, seconds: float) -> float:
        """Token prices for APIs; hardware time for self-hosted models."""
        return (
            prompt_tokens * self.input_price_per_mtok
            + completion_tokens * self.output_price_per_mtok
        ) / 1e6 + self.cost_per_hour * seconds / 3600

    @property
    def label(self) -> str:
        """How responses and the ledger name it: `model@provider`."""
        return f"{self.model_id}@{self.provider_name}"
