"""An in-process llama.cpp engine: one model, one worker thread, several sequences decoded
together in one batch.

Each step puts one token of every answering sequence into a single `llama_decode` call,
together with a bounded slice of a waiting prompt, so a long prompt or a long answer never
stops another request's stream from progressing, and several short chats share the cost of
reading the weights. Jobs beyond the free slots wait in a bounded FIFO; beyond that, clients
get 503 with Retry-After. Tokens cross back to the event loop with `call_soon_threadsafe`; a job
whose consumer went away is dropped at the next step.
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
from typing import Any, Protocol

# OpenMP worker threads spin while waiting; next to the HTTP server on a small machine that
# collapses decode speed. Must be set before llama.cpp's OpenMP runtime starts.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from switchgear.providers.local_cpu import RepackDecision, load_llama
from switchgear.providers.local_sampling import ConstrainedSampler
from switchgear.providers.stop_scanner import StopScanner
from switchgear.schema.errors import GatewayError, Overloaded
from switchgear.schema.generation import FINISH_LENGTH, FINISH_STOP, Delta, Usage

log = logging.getLogger("switchgear.local")


class TextScanner(Protocol):
    """Decides which generated text is emitted and when the answer stops (StopScanner's shape)."""

    stopped: bool

    @property
    def matched(self) -> str | None:
        """The stop sequence that ended the text, if one did."""

    def feed(self, text: str) -> str: ...

    def flush(self) -> str: ...


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
    # Replaces the StopScanner over `stop`, e.g. one that ends text but never a tool call.
    scanner: TextScanner | None = None


@dataclass(slots=True, frozen=True)
class EngineSettings:
    model_path: str
    context_window: int
    threads: int
    batch_size: int
    max_queue: int
    flash_attention: bool
    # Sequences decoded together; each has its own `context_window` of KV cache.
    parallel: int = 4
    # Prompt tokens evaluated per step while other sequences are answering.
    prefill_chunk: int = 256


@dataclass(slots=True)
class _Sequence:
    job: GenerationJob
    slot: int
    sampler: Any
    pending: list[int]
    position: int = 0
    last_token: int = -1
    logits_index: int = -1
    generated: int = 0
    decoder: Any = field(default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace"))
    scanner: TextScanner | None = None
    grammar: Any = None  # a llama.cpp grammar sampler, outside the chain (local_sampling.py)


class LocalEngine:
    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self._llama: Any = None
        self._context: Any = None
        self._jobs: queue.Queue[GenerationJob | None] = queue.Queue()
        self._pending = 0
        self._pending_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._constrained: ConstrainedSampler | None = None
        self.repack: RepackDecision | None = None  # how the weights were loaded, once loaded

    # -- lifecycle ------------------------------------------------------------------------

    def load(self) -> None:
        """Loads the model (blocking; call off the event loop) and starts the worker thread."""
        import llama_cpp
        from llama_cpp._internals import LlamaContext

        s = self.settings
        # Generation uses a context of our own with one KV region per parallel sequence.
        self.repack, self._llama = load_llama(s.model_path)
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = s.context_window * s.parallel
        params.n_batch = max(s.batch_size, s.prefill_chunk + s.parallel)
        params.n_ubatch = params.n_batch
        params.n_seq_max = s.parallel
        params.n_threads = s.threads
        params.n_threads_batch = s.threads
        params.kv_unified = False
        params.flash_attn_type = (
            llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED
            if s.flash_attention
            else llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        )
        self._context = LlamaContext(model=self._llama._model, params=params, verbose=False)
        self._batch = llama_cpp.llama_batch_init(params.n_batch, 0, 1)
        self._batch_capacity = params.n_batch
        self._constrained = ConstrainedSampler(self._llama.n_vocab())
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
        scanner: TextScanner | None = None,
    ) -> AsyncIterator[Delta]:
        """Streams one answer. Leaving the iteration early cancels the job."""
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[Delta | BaseException] = asyncio.Queue()

        def emit(item: Delta | BaseException) -> None:
            loop.call_soon_threadsafe(inbox.put_nowait, item)

        job = GenerationJob(
            tokens, max_tokens, sampling, stop, emit, grammar, index, scanner=scanner
        )
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
        limit = self.settings.max_queue + self.settings.parallel
        with self._pending_lock:
            if self._pending >= limit:
                raise Overloaded(
                    f"The local model has {self._pending} requests in progress or queued "
                    f"(limit {limit}); retry shortly.",
                    code="queue_full",
                    headers={"retry-after": "1"},
                )
            self._pending += 1
        self._jobs.put(job)

    def _done(self) -> None:
        with self._pending_lock:
            self._pending -= 1

    # -- worker thread --------------------------------------------------------------------

    def _work(self) -> None:
        active: list[_Sequence] = []
        free_slots = list(range(self.settings.parallel))
        while True:
            # Admit waiting jobs into free slots; block only when there is nothing to decode.
            while free_slots:
                try:
                    job = self._jobs.get(block=not active)
                except queue.Empty:
                    break
                if job is None:
                    for sequence in active:
                        self._finish(sequence, free_slots)
                    return
                if job.cancelled.is_set():
                    self._done()
                    continue
                try:
                    active.append(self._start(job, free_slots.pop(0)))
                except Exception as error:
                    log.exception("could not start a local generation")
                    job.emit(GatewayError(f"Local generation failed: {error}", code="engine_error"))
                    self._done()
            for sequence in [s for s in active if s.job.cancelled.is_set()]:
                active.remove(sequence)
                self._finish(sequence, free_slots)
            if not active:
                continue
            try:
                finished = self._step(active)
            except Exception as error:  # the engine must survive any single failure
                log.exception("local decode step failed")
                for sequence in active:
                    sequence.job.emit(
                        GatewayError(f"Local generation failed: {error}", code="engine_error")
                    )
                finished = list(active)
            for sequence in finished:
                active.remove(sequence)
                self._finish(sequence, free_slots)

    def _start(self, job: GenerationJob, slot: int) -> _Sequence:
        from llama_cpp._internals import LlamaSampler

        s = job.sampling
        grammar = None
        if job.grammar is not None:  # applied outside the chain: see local_sampling.py
            grammar = ConstrainedSampler.open(self._llama._model.vocab, job.grammar)
        sampler: Any = LlamaSampler()  # type: ignore[no-untyped-call]
        if s.presence_penalty or s.frequency_penalty:
            sampler.add_penalties(
                self._llama.n_vocab(), 64, 1.0, s.frequency_penalty, s.presence_penalty
            )
        if s.temperature <= 0:
            sampler.add_greedy()
        else:
            sampler.add_top_k(s.top_k if s.top_k > 0 else self._llama.n_vocab())
            sampler.add_top_p(s.top_p, 1)
            sampler.add_min_p(s.min_p, 1)
            sampler.add_temp(s.temperature)
            sampler.add_dist(s.seed if s.seed is not None else random.getrandbits(31))
        self._context.kv_cache_seq_rm(slot, -1, -1)
        scanner = job.scanner if job.scanner is not None else StopScanner(job.stop)
        return _Sequence(job, slot, sampler, list(job.tokens), scanner=scanner, grammar=grammar)

    def _step(self, active: list[_Sequence]) -> list[_Sequence]:
        """One `llama_decode`: a token for every answering sequence, then prompt slices."""
        import llama_cpp

        batch = self._batch
        count = 0

        def add(token: int, position: int, slot: int, wants_logits: bool) -> int:
            nonlocal count
            batch.token[count] = token
            batch.pos[count] = position
            batch.n_seq_id[count] = 1
            batch.seq_id[count][0] = slot
            batch.logits[count] = wants_logits
            count += 1
            return count - 1

        answering = [s for s in active if not s.pending]
        for sequence in answering:
            sequence.logits_index = add(sequence.last_token, sequence.position, sequence.slot, True)
            sequence.position += 1
        room = self._batch_capacity - count
        if answering:
            room = min(room, self.settings.prefill_chunk)
        for sequence in (s for s in active if s.pending):
            if room <= 0:
                sequence.logits_index = -1
                continue
            piece, sequence.pending = sequence.pending[:room], sequence.pending[room:]
            for offset, token in enumerate(piece):
                last = not sequence.pending and offset == len(piece) - 1
                index = add(token, sequence.position + offset, sequence.slot, last)
            sequence.position += len(piece)
            sequence.logits_index = index if not sequence.pending else -1
            room -= len(piece)
        batch.n_tokens = count
        code = llama_cpp.llama_decode(self._context.ctx, batch)
        if code != 0:
            raise RuntimeError(f"llama_decode returned {code}")
        finished = []
        for sequence in active:
            if sequence.logits_index >= 0 and self._advance(sequence):
                finished.append(sequence)
        return finished

    def _advance(self, sequence: _Sequence) -> bool:
        """Samples the next token of one sequence; True when its answer is complete."""
        import llama_cpp

        if sequence.grammar is None:
            token = sequence.sampler.sample(self._context, sequence.logits_index)
        else:
            assert self._constrained is not None
            try:
                token = self._constrained.sample(
                    self._context.ctx,
                    sequence.logits_index,
                    sequence.sampler.sampler,
                    sequence.grammar,
                )
            except Exception as error:  # fails this answer, not the batch
                log.exception("constrained sampling failed")
                sequence.job.emit(
                    GatewayError(f"Local generation failed: {error}", code="engine_error")
                )
                return True
        sequence.logits_index = -1
        job, scanner = sequence.job, sequence.scanner
        assert scanner is not None
        if llama_cpp.llama_vocab_is_eog(self._llama._model.vocab, token):
            return self._complete(sequence, FINISH_STOP)
        sequence.generated += 1
        sequence.last_token = token
        text = scanner.feed(sequence.decoder.decode(self._llama.detokenize([token])))
        if text:
            job.emit(Delta(text=text, index=job.index))
        if scanner.stopped:
            return self._complete(sequence, FINISH_STOP)
        if sequence.generated >= job.max_tokens:
            return self._complete(sequence, FINISH_LENGTH)
        return False

    def _complete(self, sequence: _Sequence, finish: str) -> bool:
        scanner = sequence.scanner
        assert scanner is not None
        tail = ""
        if not scanner.stopped:
            tail = scanner.feed(sequence.decoder.decode(b"", final=True))
            tail += "" if scanner.stopped else scanner.flush()
        usage = Usage(prompt_tokens=len(sequence.job.tokens), completion_tokens=sequence.generated)
        sequence.job.emit(
            Delta(
                text=tail,
                finish_reason=finish,
                usage=usage,
                index=sequence.job.index,
                stop_sequence=scanner.matched,
            )
        )
        return True

    def _finish(self, sequence: _Sequence, free_slots: list[int]) -> None:
        self._context.kv_cache_seq_rm(sequence.slot, -1, -1)
        sequence.sampler.close()
        if sequence.grammar is not None:
            ConstrainedSampler.close(sequence.grammar)
            sequence.grammar = None
        free_slots.append(sequence.slot)
        self._done()
