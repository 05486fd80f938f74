"""The `providers:` and `models:` sections of the config file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

EMBEDDED_MODEL_ID = "smollm2-135m-instruct"
EMBEDDED = "embedded"
LOCAL_PROVIDER = "local"
# An ISO 639-1 language code, as the language detector names languages (routing/language.py).
LanguageCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2}$")]


class SamplingDefaults(msgspec.Struct, forbid_unknown_fields=True):
    """Used when a request leaves a field out (llama.cpp's own defaults)."""

    temperature: Annotated[float, msgspec.Meta(ge=0.0, le=2.0)] = 0.8
    top_p: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.95
    top_k: Annotated[int, msgspec.Meta(ge=0)] = 40
    min_p: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.05


class ProviderConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A remote endpoint. Secrets come from an env var or a file, never from the YAML itself."""

    # `openai_compat`, `azure_openai`, `anthropic`, or a kind a plugin registers.
    kind: str
    base_url: str
    api_key_env: str | None = None
    api_key_file: str | None = None
    headers: dict[str, str] = {}
    timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 60.0
    connect_timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 5.0
    max_concurrency: Annotated[int, msgspec.Meta(ge=1)] = 64
    # Azure OpenAI's `api-version` query parameter; Anthropic's `anthropic-version` header.
    api_version: str | None = None
    # True for engines you run yourself (vLLM, Ollama, TGI, llama-server): data stays in house.
    self_hosted: bool = False
    # Settings of a plugin's provider kind; the built-in kinds take none.
    options: dict[str, Any] = {}

    def api_key(self) -> str | None:
        if self.api_key_env:
            return os.environ.get(self.api_key_env)
        if self.api_key_file:
            return Path(self.api_key_file).expanduser().read_text(encoding="utf-8").strip()
        return None


class ModelConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: Annotated[str, msgspec.Meta(min_length=1, pattern=r"^[A-Za-z0-9._:/@-]+$")]
    # `local` (in-process llama.cpp), another per-model engine a plugin registers, or the name
    # of an entry under `providers`.
    provider: str = LOCAL_PROVIDER
    # The model name the upstream expects (an Azure deployment name for azure_openai).
    upstream_model: str | None = None
    # Capabilities; None means: known for local models, assumed for remote ones.
    supports_tools: bool | None = None
    supports_json_schema: bool | None = None
    # `logprobs` / `n > 1`; None: what the provider kind carries (OpenAI's wire format does,
    # the Messages API and the embedded engine do not). Say false for a server that ignores `n`.
    supports_logprobs: bool | None = None
    supports_n: bool | None = None
    # Prices in currency units per million tokens, for the `cheapest` strategy and the ledger.
    input_price_per_mtok: Annotated[float, msgspec.Meta(ge=0)] = 0.0
    output_price_per_mtok: Annotated[float, msgspec.Meta(ge=0)] = 0.0
    # Self-hosted models: what the hardware costs per hour, charged by time spent answering.
    cost_per_hour: Annotated[float, msgspec.Meta(ge=0)] = 0.0
    # Registry: licence (SPDX id where one exists), its URL, notable terms, and more.
    licence: str | None = None
    licence_url: str | None = None
    licence_terms: list[str] = []
    modalities: list[str] = msgspec.field(default_factory=lambda: ["text"])
    region: str | None = None
    # Languages the model serves well, as ISO 639-1 codes (`[ja, en]`), for routes that
    # `require.language`; empty: any language.
    languages: list[LanguageCode] = []
    path: str = EMBEDDED
    # `embedding`: an upstream embedding model, served at /v1/embeddings only (an entry under
    # `providers`); `supports_dimensions`: it takes OpenAI's `dimensions` (text-embedding-3-*).
    kind: Literal["chat", "embedding"] = "chat"
    supports_dimensions: bool = False
    aliases: list[str] = []
    context_window: Annotated[int, msgspec.Meta(ge=64)] = 8192
    threads: Annotated[int, msgspec.Meta(ge=1)] | None = None
    batch_size: Annotated[int, msgspec.Meta(ge=1)] = 512
    max_queue: Annotated[int, msgspec.Meta(ge=0)] = 64
    # Sequences decoded together in one batch (each with its own context window of KV cache).
    parallel: Annotated[int, msgspec.Meta(ge=1, le=64)] = 4
    # Prompt tokens evaluated per step while other sequences are answering.
    prefill_chunk: Annotated[int, msgspec.Meta(ge=16)] = 256
    flash_attention: bool = False
    sampling: SamplingDefaults = msgspec.field(default_factory=SamplingDefaults)
    owned_by: str = "switchgear"
