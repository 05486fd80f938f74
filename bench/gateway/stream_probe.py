"""Time to first token and per-chunk gaps of streamed chat completions, as a client sees them.

Each worker keeps one keep-alive connection (like an SDK client) and timestamps every SSE
event as it arrives; no TCP_QUICKACK, so a server that writes small chunks with Nagle on
shows ~40 ms stalls. Meant for the paced upstream (bench/gateway/paced_upstream.py), directly
and through a gateway: the difference is what the gateway adds. Bounded in count and time;
loopback only.

    python bench/gateway/stream_probe.py --url http://127.0.0.1:8080/v1 --model mock-paced \
        --key sg-... -n 50 -c 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from harness import assert_loopback


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


@dataclass
class ProbeResult:
    ttft_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)
    gaps_ms: list[float] = field(default_factory=list)
    events: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def summary(self, expected_gap_ms: float, stall_ms: float = 25.0) -> dict[str, float | int]:
        stalls = sum(1 for g in self.gaps_ms if g > expected_gap_ms + stall_ms)
        return {
            "requests": len(self.ttft_ms),
            "ttft_p50_ms": round(percentile(self.ttft_ms, 50), 2),
            "ttft_p99_ms": round(percentile(self.ttft_ms, 99), 2),
            "gap_p50_ms": round(percentile(self.gaps_ms, 50), 2),
            "gap_p99_ms": round(percentile(self.gaps_ms, 99), 2),
            "gap_max_ms": round(max(self.gaps_ms), 2) if self.gaps_ms else float("nan"),
            "stalls": stalls,
            "gaps": len(self.gaps_ms),
            "total_p50_ms": round(percentile(self.total_ms, 50), 2),
            "errors": sum(self.errors.values()),
        }


class _Chunked:
    """Incremental decoder of HTTP/1.1 chunked framing."""

    def __init__(self) -> None:
        self.buffer = b""
        self.done = False

    def feed(self, data: bytes) -> bytes:
        self.buffer += data
        out = []
        while True:
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                break
            size = int(self.buffer[:line_end].split(b";")[0] or b"0", 16)
            if size == 0:
                if self.buffer.find(b"\r\n\r\n", line_end) >= 0 or self.buffer.endswith(
                    b"0\r\n\r\n"
                ):
                    self.done = True
                    self.buffer = b""
                break
            if len(self.buffer) < line_end + 2 + size + 2:
                break
            out.append(self.buffer[line_end + 2 : line_end + 2 + size])
            self.buffer = self.buffer[line_end + 2 + size + 2 :]
        return b"".join(out)


async def _one(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes, result: ProbeResult
) -> None:
    t0 = time.perf_counter()
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            headers[k.strip().lower()] = v.strip().lower()
    chunked = headers.get(b"transfer-encoding") == b"chunked"
    remaining = int(headers.get(b"content-length", b"-1"))
    decoder = _Chunked()
    sse = b""
    first: float | None = None
    last: float | None = None
    saw_done = False
    while True:
        if not chunked and remaining == 0:
            break
        data = await reader.read(65536)
        now = time.perf_counter()
        if not data:
            raise ConnectionError("closed mid-answer")
        if chunked:
            body = decoder.feed(data)
        else:
            body = data
            remaining -= len(data)
        sse += body
        while b"\n\n" in sse:
            event, sse = sse.split(b"\n\n", 1)
            result.events += 1
            if event.startswith(b"data: [DONE]"):
                saw_done = True
                continue
            if not event.startswith(b"data: {"):
                continue
            choices = json.loads(event[6:]).get("choices") or [{}]
            content = (choices[0].get("delta") or {}).get("content")
            if content:
                if first is None:
                    first = now
                else:
                    assert last is not None
                    result.gaps_ms.append((now - last) * 1000)
                last = now
        if chunked and decoder.done:
            break
    if status != 200 or first is None or not saw_done:
        key = f"http_{status}" if status != 200 else "no_content_or_done"
        result.errors[key] = result.errors.get(key, 0) + 1
        return
    result.ttft_ms.append((first - t0) * 1000)
    result.total_ms.append((time.perf_counter() - t0) * 1000)


async def probe(
    url: str, model: str, key: str | None, n: int, concurrency: int, max_s: float
) -> ProbeResult:
    assert_loopback(url)
    parts = urlsplit(url.rstrip("/") + "/chat/completions")
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    body = json.dumps(
        {"model": model, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    ).encode()
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    )
    if key:
        head += f"Authorization: Bearer {key}\r\n"
    request = (head + "\r\n").encode() + body
    result = ProbeResult()
    quota = [n]
    deadline = time.perf_counter() + max_s

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while quota[0] > 0 and time.perf_counter() < deadline:
                quota[0] -= 1
                try:
                    await asyncio.wait_for(_one(reader, writer, request, result), 30)
                except Exception as error:
                    name = type(error).__name__
                    result.errors[name] = result.errors.get(name, 0) + 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="base URL ending in /v1")
    parser.add_argument("--model", required=True)
    parser.add_argument("--key")
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("-c", type=int, default=1)
    parser.add_argument("--gap-ms", type=float, default=10.0, help="the upstream's own gap")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args()
    n = min(args.n, 5000)
    result = asyncio.run(probe(args.url, args.model, args.key, n, args.c, args.max_seconds))
    print(json.dumps(result.summary(args.gap_ms)))


if __name__ == "__main__":
    main()
