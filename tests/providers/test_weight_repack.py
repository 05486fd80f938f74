"""A llama.cpp built with AMX kernels (a plain `pip install` on an AMX CPU) loads the embedded
model with weight repacking off, so it answers instead of crashing on its first decode."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import llama_cpp
import pytest

from switchgear.providers.local_cpu import (
    REPACK_ENV,
    build_features,
    cpu_flags,
    current_decision,
    decide,
)
from switchgear.providers.local_engine import EngineSettings, LocalEngine, Sampling
from switchgear.providers.plugin import embedded_model_path

AMX_BUILD_INFO = (
    b"CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | OPENMP = 1 | REPACK = 1 | "
)


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 amx_bf16 amx_tile amx_int8\n")
    assert {"amx_tile", "avx2"} <= cpu_flags(cpuinfo)
    assert cpu_flags(tmp_path / "missing") == set()


def test_an_amx_build_turns_repacking_off_and_the_operator_can_override() -> None:
    amx = build_features(AMX_BUILD_INFO.decode())
    portable = build_features("CPU : SSE3 = 1 | AVX2 = 1 | REPACK = 1 | ")
    assert "AMX_INT8" in amx and "AMX_INT8" not in portable
    flags = {"avx2", "amx_tile", "amx_int8"}
    off = decide(flags, amx, None)
    assert off.repack is False and off.cpu_amx and off.build_amx and "AMX" in off.reason
    assert decide(flags, portable, None).repack is True  # portable kernels never use AMX
    assert decide(flags, amx, "on").repack is True
    assert decide(set(), portable, "off").repack is False


def _engine() -> LocalEngine:
    settings = EngineSettings(
        model_path=embedded_model_path(),
        context_window=256,
        threads=1,
        batch_size=64,
        max_queue=4,
        flash_attention=False,
        parallel=1,
        prefill_chunk=64,
    )
    return LocalEngine(settings)


async def _answer(engine: LocalEngine) -> str:
    tokens = engine._llama.tokenize(b"The capital of France is", add_bos=True)
    text = ""
    async for delta in engine.generate(tokens, 4, Sampling(temperature=0.0), []):
        text += delta.text or ""
    return text


def test_on_an_amx_build_the_engine_loads_without_repacking_and_answers(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(REPACK_ENV, raising=False)
    monkeypatch.setattr(llama_cpp, "llama_print_system_info", lambda: AMX_BUILD_INFO)
    engine = _engine()
    with caplog.at_level(logging.WARNING, logger="switchgear.local"):
        engine.load()
    try:
        assert engine.repack is not None and engine.repack.repack is False
        # The params llama.cpp loaded the weights with: no extra (repacking) buffer types.
        assert engine._llama.model_params.use_extra_bufts is False
        assert "weight repacking off" in caplog.text
        assert asyncio.run(_answer(engine)).strip()
    finally:
        engine.close()
    # The wrapper is gone once the model is loaded: other loads get llama.cpp's defaults.
    assert llama_cpp.llama_model_default_params().use_extra_bufts is True


def test_a_portable_build_keeps_repacking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REPACK_ENV, raising=False)
    assert current_decision().repack is True  # the Makefile's build has no AMX kernels
    engine = _engine()
    engine.load()
    try:
        assert engine._llama.model_params.use_extra_bufts is True
    finally:
        engine.close()


def test_turning_repacking_off_reaches_llama_cpp() -> None:
    """llama.cpp's own load log: with repacking on it considers the CPU_REPACK buffer type for
    every weight; with it off it never does."""
    script = (
        "import sys; from llama_cpp import Llama; "
        "from switchgear.providers.local_cpu import decide, model_params_for; "
        "decision = decide(set(), set(), sys.argv[2]); "
        "ctx = model_params_for(decision); ctx.__enter__(); "
        "Llama(model_path=sys.argv[1], n_ctx=64, verbose=True)"
    )

    def load_log(mode: str) -> str:
        run = subprocess.run(
            [sys.executable, "-c", script, embedded_model_path(), mode],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return run.stderr

    assert "CPU_REPACK" in load_log("on")
    assert "CPU_REPACK" not in load_log("off")
