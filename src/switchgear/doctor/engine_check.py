"""Does each in-process model load and answer? Built and asked exactly as the gateway does
(the plugin registry's provider, `start`, one chat of one token), so a pass here means the
gateway's own start would pass."""

from __future__ import annotations

import asyncio
import time

from switchgear.config import EMBEDDED, Config, ModelConfig
from switchgear.doctor.findings import Finding, fail, ok, warn
from switchgear.plugins import ProviderSetup, registry
from switchgear.providers.base import Provider
from switchgear.schema.requests import ChatCompletionRequest, Message

# The embedded model loads and answers in about a second; a GGUF of several GB takes longer.
ENGINE_TIMEOUT_S = 120.0


def local_models(config: Config) -> list[ModelConfig]:
    """The models served in-process (`local`, or a plugin's per-model engine)."""
    return [m for m in config.models if m.provider not in config.providers]


def check_cpu() -> Finding:
    """What the engine decides about this llama.cpp build on this CPU (`local_cpu`): whether
    it may repack the weights, which crashes AMX builds on the CPUs we run on."""
    from switchgear.providers.local_cpu import REPACK_ENV, current_decision

    decision = current_decision()
    seen = (
        f"CPU AMX: {'yes' if decision.cpu_amx else 'no'}, "
        f"AMX kernels in this build: {'yes' if decision.build_amx else 'no'}"
    )
    if decision.repack and decision.build_amx and decision.cpu_amx:
        return fail(
            "cpu",
            f"weight repacking is on ({decision.reason}) with AMX kernels on an AMX CPU: "
            f"the first decode crashes ({seen})",
            f"unset {REPACK_ENV}, or reinstall with `make install` (a portable build)",
        )
    state = "on" if decision.repack else "off"
    finding = f"llama.cpp weight repacking {state}: {decision.reason} ({seen})"
    if not decision.repack and decision.build_amx:
        return warn("cpu", finding, "reinstall with `make install` for a portable build")
    return ok("cpu", finding)


async def check_engines(config: Config) -> list[Finding]:
    return [await _check_engine(model) for model in local_models(config)]


async def _check_engine(model: ModelConfig) -> Finding:
    check = f"engine {model.id}"
    started = time.monotonic()
    try:
        provider = registry().provider(model.provider).build(ProviderSetup(model.id, model=model))
        tokens = await asyncio.wait_for(_first_token(provider, model.id), ENGINE_TIMEOUT_S)
    except TimeoutError:
        return fail(
            check,
            f"no answer within {ENGINE_TIMEOUT_S:.0f} s",
            "check the model file and the CPU load (`threads:` in the model's config)",
        )
    except Exception as error:  # whatever the engine raises is the finding
        return fail(check, f"{type(error).__name__}: {error}", _fix_for(model))
    seconds = time.monotonic() - started
    return ok(check, f"loaded and answered ({tokens} token) in {seconds:.1f} s")


async def _first_token(provider: Provider, model_id: str) -> int:
    """Starts the provider, asks for one token, closes it; the tokens it produced."""
    await provider.start()
    try:
        request = ChatCompletionRequest(
            model=model_id,
            messages=[Message(role="user", content="Say hi.")],
            max_tokens=1,
            temperature=0.0,
        )
        produced = 0
        stream = provider.send(model_id, request)
        try:
            async for delta in stream:
                if delta.usage is not None:
                    produced = delta.usage.completion_tokens
                if delta.finish_reason is not None:
                    break
        finally:
            await stream.aclose()
        return produced
    finally:
        await provider.aclose()


def _fix_for(model: ModelConfig) -> str:
    if model.path == EMBEDDED:
        return "reinstall the engine and the embedded model (`make install`)"
    return f"check that {model.path} is a GGUF file this llama.cpp build can read"
