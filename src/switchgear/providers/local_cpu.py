"""Whether llama.cpp may repack the model's weights for this CPU, decided at load time.

A llama.cpp built for the machine it runs on (`pip install` without the Makefile's portable
CMAKE_ARGS, on a CPU that advertises AMX) compiles in the AMX kernels, and on the CPUs we run
on the first decode with AMX-repacked weights crashes the process. Repacking is an
optimisation, so a build that carries AMX loads with it turned off (`use_extra_bufts`), and
every way of installing works. `SWITCHGEAR_WEIGHT_REPACK=on|off` overrides the decision.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPACK_ENV = "SWITCHGEAR_WEIGHT_REPACK"
log = logging.getLogger("switchgear.local")
_FEATURE = re.compile(r"([A-Z0-9_]+) = 1")


@dataclass(frozen=True, slots=True)
class RepackDecision:
    repack: bool
    reason: str
    cpu_amx: bool  # the CPU advertises AMX (/proc/cpuinfo)
    build_amx: bool  # this llama.cpp build carries AMX kernels

    def as_dict(self) -> dict[str, Any]:
        return {
            "weight_repack": self.repack,
            "reason": self.reason,
            "cpu_amx": self.cpu_amx,
            "build_amx": self.build_amx,
        }


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    try:
        text = cpuinfo.read_text(encoding="ascii", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return set(line.partition(":")[2].split())
    return set()


def build_features(system_info: str) -> set[str]:
    """The features llama.cpp says it was built with (`llama_print_system_info`)."""
    return set(_FEATURE.findall(system_info))


def decide(flags: set[str], features: set[str], override: str | None) -> RepackDecision:
    cpu_amx = any(flag.startswith("amx") for flag in flags)
    build_amx = any(feature.startswith("AMX") for feature in features)
    mode = (override or "auto").strip().lower()
    if mode in ("on", "off"):
        return RepackDecision(mode == "on", f"{REPACK_ENV}={mode}", cpu_amx, build_amx)
    if build_amx:
        return RepackDecision(
            False,
            "this llama.cpp build carries AMX kernels, which crash on first decode; weight "
            "repacking is off (rebuild with the Makefile's portable CMAKE_ARGS to get it back)",
            cpu_amx,
            build_amx,
        )
    return RepackDecision(True, "portable build", cpu_amx, build_amx)


def current_decision() -> RepackDecision:
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    return decide(cpu_flags(), build_features(info), os.environ.get(REPACK_ENV))


_PATCH_LOCK = threading.Lock()


@contextmanager
def model_params_for(decision: RepackDecision) -> Iterator[None]:
    """Makes `llama_cpp.Llama(...)` load with this decision. Its constructor takes no
    argument for `use_extra_bufts`: it builds its params from `llama_model_default_params`,
    so that function is wrapped while the model loads."""
    if decision.repack:
        yield
        return
    import llama_cpp.llama_cpp as native

    with _PATCH_LOCK:
        original = native.llama_model_default_params

        def without_repack() -> Any:
            params = original()
            params.use_extra_bufts = False
            return params

        native.llama_model_default_params = without_repack
        try:
            yield
        finally:
            native.llama_model_default_params = original


def load_llama(model_path: str) -> tuple[RepackDecision, Any]:
    """The model's `Llama` object, its weights loaded as `current_decision()` says (logged
    when repacking is off). It serves the tokenizer, metadata and chat template; its own
    context is tiny, since the engine generates in a context of its own."""
    from llama_cpp import Llama

    decision = current_decision()
    if not decision.repack:
        log.warning("llama.cpp weight repacking off: %s", decision.reason)
    with model_params_for(decision):
        return decision, Llama(model_path=model_path, n_ctx=64, n_batch=64, verbose=False)
