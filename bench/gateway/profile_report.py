"""Summarises py-spy's collapsed stacks (`--format raw --threads`) of a gateway under load:
where the CPU goes, by component (each sample charged to the innermost frame that belongs to a
named component; generic stdlib helpers are charged to their caller), by function (self and
inclusive), and by pipeline stage.

    .venv/bin/python bench/gateway/profile_report.py /tmp/switchgear-profile/*.collapsed.txt
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

# First match wins; checked against the frame's file path.
COMPONENTS: list[tuple[str, str]] = [
    ("switchgear/api/sse.py", "switchgear.api (SSE response)"),
    ("switchgear/api/openai_format.py", "switchgear.api (OpenAI bodies/chunks)"),
    ("switchgear/api/body.py", "switchgear.api (read+decode body)"),
    ("switchgear/api/disconnect.py", "switchgear.api (disconnect watcher)"),
    ("switchgear/api/", "switchgear.api (routes, auth header)"),
    ("switchgear/pipeline.py", "switchgear.pipeline (trip, _finish, metrics calls)"),
    ("switchgear/governance/", "switchgear.governance (key auth, limits, budgets)"),
    ("switchgear/routing/", "switchgear.routing"),
    ("switchgear/providers/sse_client.py", "switchgear.providers (upstream SSE parsing)"),
    ("switchgear/providers/", "switchgear.providers (openai_compat chunks→deltas)"),
    ("switchgear/ledger/", "switchgear.ledger (writer, audit hash)"),
    ("switchgear/store/", "switchgear.store (SQLite writes)"),
    ("switchgear/schema/", "switchgear.schema"),
    ("switchgear/", "switchgear (other)"),
    ("uvicorn/", "uvicorn (HTTP protocol, httptools callbacks)"),
    ("starlette/", "starlette (routing, Request, Response)"),
    ("httpx/", "httpx (client)"),
    ("httpcore/", "httpcore (client connection pool)"),
    ("h11/", "h11 (client HTTP/1.1 parsing)"),
    ("anyio/", "anyio (used by httpcore/starlette)"),
    ("prometheus_client/", "prometheus_client"),
    ("msgspec/", "msgspec"),
    ("aiohttp/", "aiohttp"),
    ("asyncio/", "asyncio (tasks, futures, wait)"),
    ("concurrent/futures", "futures/threads (ledger hand-off)"),
    ("threading.py", "futures/threads (ledger hand-off)"),
    ("queue.py", "futures/threads (ledger hand-off)"),
    ("sqlite3", "switchgear.store (SQLite writes)"),
]
# Frames charged to their caller: small stdlib helpers say little on their own.
GENERIC = (
    "contextlib.py",
    "typing.py",
    "abc.py",
    "enum.py",
    "functools.py",
    "<string>",
    "json/",
    "uuid.py",
    "hashlib.py",
    "hmac.py",
    "re/",
    "collections/",
    "copy.py",
    "dataclasses.py",
    "urllib/",
    "codecs.py",
    "email/",
    "logging/",
    "weakref.py",
    "_weakrefset.py",
    "random.py",
    "ssl.py",
    "socket.py",
    "selectors.py",
)
# Stages of one request, counted inclusively (a sample counts for a stage if the stage's
# function is anywhere on its stack).
STAGES: list[tuple[str, str]] = [
    ("read_body", "read request body"),
    ("decode_body", "decode request (msgspec)"),
    ("Governor.admit", "auth: governor.admit (key hash, limits)"),
    ("Router.select_route", "routing: select_route"),
    ("start_first_healthy", "provider start (until the first delta)"),
    ("post_events", "upstream POST + SSE read (httpx)"),
    ("iter_events", "upstream SSE parsing"),
    ("OpenAICompatProvider._decode", "chunk JSON decode (msgspec)"),
    ("Answer.deltas", "answer deltas (after the first)"),
    ("collect", "collect (non-streaming)"),
    ("chat_completion_body", "build response body"),
    ("chat_chunks", "build SSE chunks"),
    ("Pipeline._finish", "ledger record + metrics (_finish)"),
    ("GatewayMetrics", "prometheus metrics"),
    ("unless_disconnected", "disconnect watcher wrapper"),
    ("EventStreamResponse", "SSE response pump"),
    ("LedgerWriter._write", "ledger thread: write batch"),
    ("_audit_fields", "ledger thread: audit JSON"),
    ("entry_hash", "ledger thread: audit sha256"),
]


# Leaf frames that are blocking waits (a queue get with no timeout) which py-spy sometimes
# reports as active; they are counted apart, not as CPU.
WAITS = (
    ("_worker", "concurrent/futures/thread.py"),
    ("LedgerWriter._drain", "switchgear/ledger/writer.py"),
)


def is_wait(frames: list[tuple[str, str]]) -> bool:
    if not frames:
        return False
    func, file = frames[-1]
    return any(func == f and w in file for f, w in WAITS)


def parse(text: str) -> list[tuple[str, list[tuple[str, str]], int]]:
    """[(thread name, [(function, file)...] outermost first, count)]."""
    samples = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        parts = stack.split(";")
        thread = parts[0]
        if thread.startswith("thread ("):
            thread = thread.split(":", 1)[-1].strip() or thread
            parts = parts[1:]
        frames = []
        for part in parts:
            m = _FRAME.match(part)
            frames.append((m.group("func"), m.group("file")) if m else (part, ""))
        samples.append((thread, frames, int(count)))
    return samples


def component_of(file: str) -> str | None:
    for needle, name in COMPONENTS:
        if needle in file:
            return name
    return None


def owner(frames: list[tuple[str, str]]) -> str:
    for func, file in reversed(frames):
        if any(g in file for g in GENERIC):
            continue
        name = component_of(file)
        if name:
            return name
        if "asyncio/runners.py" in file or func.startswith("Runner.run"):
            return "event loop C code (uvloop: sockets, httptools, callbacks)"
        return f"other: {file.rsplit('/', 1)[-1]}"
    return "unknown"


def report(text: str, top: int = 25) -> str:
    everything = parse(text)
    samples = [s for s in everything if not is_wait(s[1])]
    waits = sum(c for _, f, c in everything if is_wait(f))
    total = sum(c for _, _, c in samples) or 1
    threads: Counter[str] = Counter()
    owners: Counter[str] = Counter()
    selfs: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    for thread, frames, count in samples:
        threads[thread] += count
        owners[owner(frames)] += count
        if frames:
            func, file = frames[-1]
            selfs[f"{func} ({_short(file)})"] += count
        seen = set()
        for func, file in frames:
            key = f"{func} ({_short(file)})"
            if key not in seen:
                seen.add(key)
                inclusive[key] += count
        names = {func for func, _ in frames}
        for needle, label in STAGES:
            if any(needle == n or n.startswith(needle + ".") for n in names):
                stages[label] += count

    def table(title: str, counter: Counter[str], limit: int) -> list[str]:
        rows = [f"\n{title}\n", "| share | samples | what |", "|---:|---:|---|"]
        for name, count in counter.most_common(limit):
            rows.append(f"| {100 * count / total:.1f}% | {count} | {name} |")
        return rows

    out = [
        f"{total} samples on CPU, all threads ({waits} more were threads blocked on a queue "
        "get, which py-spy reported as active: left out)"
    ]
    out += table("By thread", threads, 10)
    out += table("By component (innermost named frame)", owners, 40)
    out += table("By pipeline stage (inclusive; stages nest, so shares overlap)", stages, 40)
    out += table(f"Top {top} functions by self time", selfs, top)
    out += table(f"Top {top} functions by inclusive time", inclusive, top + 15)
    return "\n".join(out)


def _short(file: str) -> str:
    for marker in ("site-packages/", "lib/python3.11/", "src/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def main() -> None:
    for path in sys.argv[1:]:
        print(f"## {path}")
        print(report(Path(path).read_text()))


if __name__ == "__main__":
    main()
