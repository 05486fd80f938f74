"""An in-process llama.cpp engine: one model, one worker thread, a bounded FIFO of jobs.

Inference is blocking C code, so it runs on its own thread; tokens cross back to the event
loop with `call_soon_threadsafe`. A job whose consumer went away is skipped or stopped at the
next token, so a disconnected client frees the engine at once.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import os
import queue
import random
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

# OpenMP worker threads spin while waiting; next to the HTTP server on a small machine that
# collapses decode speed. Must be set before llama.cpp's OpenMP runtime starts.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from switchgear.providers.stop_scanner import StopScanner
from switchgear.schema.errors import GatewayError, Overloaded
from switchgear.schema.generation import FINISH_LENGTH, FINISH_STOP, Delta, Usage

log = logging.getLogger("switchgear.local")


@dataclass(slots=True)
class Sampling:
    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    seed: int | None = None


@dataclass(slots=True)
class GenerationJob:
    tokens: list[int]
    max_tokens: int
    sampling: Sampling
    stop: list[str]
    emit: Callable[[Delta | BaseException], None]
    grammar: Any = None
    index: int = 0
    cancelled: threading.Event = field(default_factory=threading.Event)


@dataclass(slots=True, frozen=True)
class EngineSettings:
    model_path: str
    context_window: int
    threads: int
    batch_size: int
    max_queue: int
    flash_attention: bool


class LocalEngine:
    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self._llama: Any = None
        self._jobs: queue.Queue[GenerationJob | None] = queue.Queue()
        self._pending = 0
        self._pending_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    # -- lifecycle ------------------------------------------------------------------------

    def load(self) -> None:
        """Loads the model (blocking; call off the event loop) and starts the worker thread."""
        from llama_cpp import Llama

        self._llama = Llama(
            model_path=self.settings.model_path,
            n_ctx=self.settings.context_window,
            n_batch=self.settings.batch_size,
            n_threads=self.settings.threads,
            n_threads_batch=self.settings.threads,
            flash_attn=self.settings.flash_attention,
            verbose=False,
        )
        self._thread = threading.Thread(target=self._work, name="llama-worker", daemon=True)
        self._thread.start()
        self._ready.set()

    def close(self) -> None:
        if self._thread is None:
            return
        self._jobs.put(None)
        self._thread.join(timeout=30)
        self._thread = None
        self._ready.clear()

    def is_ready(self) -> bool:
        return self._ready.is_set()

    @property
    def llama(self) -> Any:
        if self._llama is None:
            raise GatewayError("The local model is not loaded yet.", status=503, code="not_ready")
        return self._llama

    @property
    def pending(self) -> int:
        return self._pending

    # -- requests -------------------------------------------------------------------------

    async def generate(
        self,
        tokens: list[int],
        max_tokens: int,
        sampling: Sampling,
        stop: list[str],
        grammar: Any = None,
        index: int = 0,
    ) -> AsyncIterator[Delta]:
        """Streams one answer. Leaving the iteration early cancels the job."""
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[Delta | BaseException] = asyncio.Queue()

        def emit(item: Delta | BaseException) -> None:
            loop.call_soon_threadsafe(inbox.put_nowait, item)

        job = GenerationJob(tokens, max_tokens, sampling, stop, emit, grammar, index)
        self._submit(job)
        try:
            while True:
                item = await inbox.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if item.finish_reason is not None:
                    return
        finally:
            job.cancelled.set()

    def _submit(self, job: GenerationJob) -> None:
        with self._pending_lock:
            if self._pending >= self.settings.max_queue:
                raise Overloaded(
                    f"The local model has {self._pending} requests queued (limit "
                    f"{self.settings.max_queue}); retry shortly.",
                    code="queue_full",
                    headers={"retry-after": "1"},
                )
            self._pending += 1
        self._jobs.put(job)

    # -- worker thread --------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                if not job.cancelled.is_set():
                    self._run(job)
            except Exception as error:  # the engine must survive any single request
                log.exception("local generation failed")
                job.emit(GatewayError(f"Local generation failed: {error}", code="engine_error"))
            finally:
                with self._pending_lock:
                    self._pending -= 1

    def _run(self, job: GenerationJob) -> None:
        llama = self._llama
        s = job.sampling
        llama.set_seed(s.seed if s.seed is not None else random.getrandbits(31))
        if s.seed is not None:
            # Reusing the KV-cache prefix re-evaluates the last prompt token in a batch of one,
            # which shifts the logits slightly; a seeded request must repeat exactly, so it
            # pays for a full prompt evaluation instead.
            llama.reset()
        vocab = llama._model.vocab
        import llama_cpp

        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        scanner = StopScanner(job.stop)
        generated = 0
        finish = FINISH_LENGTH
        tokens = llama.generate(
            job.tokens,
            top_k=s.top_k,
            top_p=s.top_p,
            min_p=s.min_p,
            temp=s.temperature,
            repeat_penalty=1.0,
            presence_penalty=s.presence_penalty,
            frequency_penalty=s.frequency_penalty,
            grammar=job.grammar,
        )
        for token in tokens:
            if job.cancelled.is_set():
                return
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                finish = FINISH_STOP
                break
            generated += 1
            text = scanner.feed(decoder.decode(llama.detokenize([token])))
            if text:
                job.emit(Delta(text=text, index=job.index))
            if scanner.stopped:
                finish = FINISH_STOP
                break
            if generated >= job.max_tokens:
                break
        tail = "" if scanner.stopped else scanner.feed(decoder.decode(b"", final=True))
        if not scanner.stopped:
            tail += scanner.flush()
        usage = Usage(prompt_tokens=len(job.tokens), completion_tokens=generated)
        job.emit(Delta(text=tail, finish_reason=finish, usage=usage, index=job.index))
