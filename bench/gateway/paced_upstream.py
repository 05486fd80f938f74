"""An OpenAI-compatible upstream that streams like a model: the first token after `--ttft-ms`,
then one chunk every `--gap-ms`, each written and flushed on its own (chunked encoding).

The shared bench-peers mock sends a whole SSE answer in one write, which is right for CPU cost
but hides how a gateway forwards tokens one by one. This one shows per-chunk gaps and stalls
(Nagle / delayed ACK) and the time to first token a gateway adds. Loopback only; stdlib only.

    python bench/gateway/paced_upstream.py --port 8401 --ttft-ms 20 --gap-ms 10 --chunks 20
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import time


def _event(payload: dict[str, object]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class Paced:
    def __init__(self, ttft_s: float, gap_s: float, chunks: int) -> None:
        self.ttft_s, self.gap_s, self.chunks = ttft_s, gap_s, chunks

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.split(b"\r\n")
                method, target = lines[0].split(b" ")[:2]
                headers = {}
                for line in lines[1:]:
                    if b":" in line:
                        k, v = line.split(b":", 1)
                        headers[k.strip().lower()] = v.strip()
                length = int(headers.get(b"content-length", b"0") or b"0")
                body = await reader.readexactly(length) if length else b""
                if method == b"GET":
                    data = b'{"object":"list","data":[{"id":"mock-model","object":"model"}]}'
                    writer.write(_plain(200, data))
                elif target.rstrip(b"/").endswith(b"/chat/completions"):
                    request = json.loads(body or b"{}")
                    if request.get("stream"):
                        await self._stream(writer, str(request.get("model", "mock-model")))
                    else:
                        writer.write(_plain(200, _completion(str(request.get("model")))))
                else:
                    writer.write(_plain(404, b'{"error":{"message":"not found"}}'))
                await writer.drain()
        finally:
            writer.close()

    async def _stream(self, writer: asyncio.StreamWriter, model: str) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n"
        )
        base = {
            "id": "chatcmpl-paced",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }
        start = time.perf_counter()
        for i in range(self.chunks):
            # Sleep to an absolute schedule so gaps do not accumulate drift.
            due = start + self.ttft_s + i * self.gap_s
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            delta = {"content": f"tok{i} "}
            if i == 0:
                delta["role"] = "assistant"
            choice = {"index": 0, "delta": delta, "finish_reason": None}
            writer.write(_chunk(_event({**base, "choices": [choice]})))
            await writer.drain()
        last = {
            **base,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": 8,
                "completion_tokens": self.chunks,
                "total_tokens": 8 + self.chunks,
            },
        }
        writer.write(_chunk(_event(last)) + _chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")


def _completion(model: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-paced",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "paced"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9},
        }
    ).encode()


def _plain(status: int, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status} OK\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: keep-alive\r\n\r\n"
    ).encode() + body


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8401)
    parser.add_argument("--ttft-ms", type=float, default=20.0)
    parser.add_argument("--gap-ms", type=float, default=10.0)
    parser.add_argument("--chunks", type=int, default=20)
    args = parser.parse_args()
    if not ipaddress.ip_address(args.host).is_loopback:
        raise SystemExit("loopback only")
    paced = Paced(args.ttft_ms / 1000, args.gap_ms / 1000, args.chunks)
    server = await asyncio.start_server(paced.handle, args.host, args.port, backlog=1024)
    print(f"paced upstream on http://{args.host}:{args.port}/v1", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
