"""Microseconds per call of each piece of Switchgear's request path, in one process, so the
profile's shares can be turned into savings. Uses the real code where it exists and prints
"n/a" for a piece whose internals have changed. Pure CPU, no network.

    .venv/bin/python bench/gateway/micro_hotpath.py
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

import msgspec

REQUEST = json.dumps(
    {"model": "mock-gpt", "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 16}
).encode()


def _mock_sse() -> bytes:
    """The shared mock's streamed answer (bench-peers/mock_upstream.py's `_sse_chunks`)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from harness import peers_dir

    sys.path.insert(0, str(peers_dir()))
    import mock_upstream

    return b"".join(mock_upstream._sse_chunks("mock-model"))


def per_call(fn: Callable[[], object], budget_s: float = 0.3) -> float:
    """Microseconds per call, best of 3 runs sized to ~budget_s each."""
    n = 1
    while True:
        t = timeit.timeit(fn, number=n)
        if t > budget_s / 10 or n > 1_000_000:
            break
        n *= 4
    n = max(1, int(n * (budget_s / 10) / max(t, 1e-9)))
    return min(timeit.repeat(fn, number=n, repeat=3)) / n * 1e6


def main() -> None:
    from switchgear.api.body import decode_body
    from switchgear.schema.requests import ChatCompletionRequest

    rows: list[tuple[str, float | None]] = []

    def add(name: str, make: Callable[[], Callable[[], object]]) -> None:
        try:
            rows.append((name, per_call(make())))
        except Exception as error:  # a piece whose internals changed
            rows.append((f"{name} (n/a: {type(error).__name__}: {error})", None))

    chat = decode_body(REQUEST, ChatCompletionRequest)
    add(
        "decode request (msgspec, ChatCompletionRequest)",
        lambda: lambda: decode_body(REQUEST, ChatCompletionRequest),
    )

    def upstream_body() -> Callable[[], object]:
        from switchgear.providers.openai_compat import chat_body

        return lambda: msgspec.json.encode(chat_body("mock-model", chat))

    add("upstream body: chat_body → to_wire → encode (field names cached)", upstream_body)

    add(
        "msgspec.structs.fields(ChatCompletionRequest) alone",
        lambda: lambda: msgspec.structs.fields(chat),
    )

    sse = _mock_sse()

    def parse_sse() -> Callable[[], object]:
        from switchgear.providers.openai_compat import _decode_chunk, _delta_of
        from switchgear.providers.sse_client import iter_events

        async def one_chunk():
            yield sse

        async def run() -> int:
            n = 0
            events = iter_events(one_chunk())
            async for _, data in events:
                if data == "[DONE]":
                    break
                for choice in _decode_chunk(data).choices or ():
                    if _delta_of(choice, 0) is not None:
                        n += 1
            await events.aclose()
            return n

        loop = asyncio.new_event_loop()
        return lambda: loop.run_until_complete(run())

    add(f"upstream SSE parse: iter_events+decode+deltas ({sse.count(b'data:')} events)", parse_sse)

    def identify() -> Callable[[], object]:
        from switchgear.governance.keys import KeyRing

        class NoKeys:
            def list_keys(self) -> list[object]:
                return []

        ring = KeyRing(NoKeys(), "admin-secret")  # type: ignore[arg-type]
        return lambda: ring.identify("sg-not-a-key-but-same-length-as-one-1234567890abcdef")

    add("key auth: sha256 + dict lookup (KeyRing.identify)", identify)

    def trip() -> Callable[[], object]:
        from switchgear.trip import Trip

        return lambda: Trip("chat.completions", "mock-gpt", False, None)

    add("Trip() (uuid4 + clocks)", trip)

    def metrics() -> Callable[[], object]:
        from switchgear.metrics import GatewayMetrics

        m = GatewayMetrics()

        def run() -> None:
            m.record_request(
                "chat.completions", "default", "mock-gpt", "ok", 0.01, 0.005, 12, 12, None
            )

        return run

    add("prometheus: one request's metric updates (GatewayMetrics.record_request)", metrics)

    record = _usage_record()

    def audit() -> Callable[[], object]:
        from switchgear.store.audit_chain import entry_hash
        from switchgear.store.sql import _audit_fields

        def run() -> str:
            kind, actor, action, subject, detail = _audit_fields(record)
            return entry_hash("0" * 64, 1, record.created_at, kind, actor, action, subject, detail)

        return run

    add("ledger: audit JSON + sha256 per record (writer thread)", audit)

    def sqlite_batch() -> Callable[[], object]:
        from switchgear.store.sqlite import open_sqlite_store

        folder = Path(tempfile.mkdtemp(prefix="sg-micro-"))
        store = open_sqlite_store(folder / "ledger.db")
        batch = [_usage_record(i) for i in range(32)]
        counter = [0]

        def run() -> None:
            counter[0] += 1
            rows = [
                msgspec.structs.replace(r, request_id=f"{counter[0]}-{i}")
                if isinstance(r, msgspec.Struct)
                else _replace(r, f"{counter[0]}-{i}")
                for i, r in enumerate(batch)
            ]
            store.write_ledger(rows)

        return run

    try:
        us = per_call(sqlite_batch(), budget_s=1.0)
        rows.append(("ledger: SQLite write_ledger, per record in a batch of 32", us / 32))
    except Exception as error:
        rows.append((f"ledger batch (n/a: {error})", None))

    def single() -> Callable[[], object]:
        from switchgear.store.sqlite import open_sqlite_store

        folder = Path(tempfile.mkdtemp(prefix="sg-micro-"))
        store = open_sqlite_store(folder / "ledger.db")
        counter = [0]

        def run() -> None:
            counter[0] += 1
            store.write_ledger([_replace(record, str(counter[0]))])

        return run

    add("ledger: SQLite write_ledger, a batch of 1 (commit per request)", single)

    def handoff() -> Callable[[], object]:
        from concurrent.futures import Future

        loop = asyncio.new_event_loop()

        async def run() -> None:
            f: Future[None] = Future()
            loop.call_soon(f.set_result, None)
            await asyncio.wrap_future(f)

        return lambda: loop.run_until_complete(run())

    add("await wrap_future(concurrent Future) (ledger hand-off shape, same thread)", handoff)

    def body() -> Callable[[], object]:
        enc = msgspec.json.encode

        def run() -> bytes:
            return enc(
                {
                    "id": "chatcmpl-x",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "mock-gpt",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "hi", "refusal": None},
                            "logprobs": None,
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            )

        return run

    add("response body encode (msgspec)", body)

    def loop_floor() -> Callable[[], object]:
        loop = asyncio.new_event_loop()

        async def run() -> None:
            return None

        return lambda: loop.run_until_complete(run())

    add("floor: loop.run_until_complete(empty coroutine) (subtract from async rows)", loop_floor)
    add("sqlite3 in-memory INSERT (floor)", _sqlite_floor)

    print(f"load average {os.getloadavg()[0]:.2f}; microseconds per call, best of 3\n")
    print("| piece | µs/call |\n|---|---:|")
    for name, us in rows:
        print(f"| {name} | {'-' if us is None else f'{us:.1f}'} |")


def _usage_record(i: int = 0):
    from switchgear.store.base import AttemptRecord, UsageRecord

    return UsageRecord(
        request_id=f"req-{i}-{time.time_ns()}",
        created_at=time.time(),
        endpoint="chat.completions",
        model="mock-gpt",
        served_model="mock-gpt",
        provider="openai_compat",
        stream=False,
        status="ok",
        http_status=200,
        error_code=None,
        prompt_tokens=12,
        completion_tokens=12,
        latency_ms=3.2,
        ttft_ms=2.9,
        user=None,
        route="mock-gpt",
        target="mock-gpt@mock",
        key_id="key_0123456789abcdef",
        team="perf",
        app=None,
        cost=0.0,
        attempts=(AttemptRecord("mock-gpt@mock", "ok", 200, None, 2.9),),
    )


def _replace(record, request_id: str):
    import dataclasses

    return dataclasses.replace(record, request_id=request_id)


def _sqlite_floor() -> Callable[[], object]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (a TEXT, b REAL)")
    return lambda: db.execute("INSERT INTO t VALUES ('x', 1.0)")


if __name__ == "__main__":
    main()
