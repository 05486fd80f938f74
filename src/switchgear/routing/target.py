"""A target: one model on one provider, with what the router needs to know about it."""

from __future__ import annotations

from dataclasses import dataclass

from switchgear.providers.base import Provider

# Provider kinds whose wire format carries `n` choices and token logprobs back.
OPENAI_WIRE_KINDS = frozenset({"openai_compat", "azure_openai"})


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
    # None: what the provider kind can do (OpenAI's wire format: both; the Messages API and
    # the embedded engine: neither). A model's config may say otherwise (an engine that
    # ignores `n`).
    supports_logprobs: bool | None = None
    supports_n: bool | None = None

    @property
    def serves_logprobs(self) -> bool:
        if self.supports_logprobs is not None:
            return self.supports_logprobs
        return self.provider_kind in OPENAI_WIRE_KINDS

    @property
    def serves_n(self) -> bool:
        """Several choices (`n > 1`) from one request."""
        if self.supports_n is not None:
            return self.supports_n
        return self.provider_kind in OPENAI_WIRE_KINDS

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
