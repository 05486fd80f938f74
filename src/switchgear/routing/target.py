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

    @property
    def label(self) -> str:
        """How responses and the ledger name it: `model@provider`."""
        return f"{self.model_id}@{self.provider_name}"
