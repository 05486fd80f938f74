"""A stand-in for a self-hosted code model that fills in the middle (Ollama serving
qwen2.5-coder, whose `/v1/completions` honours `suffix`), speaking OpenAI's legacy completions
wire format, streamed or not.

It is no model: it "knows" the files under `project/` and answers with the text that sits
between the prompt's end and the suffix's start in one of them, cut at the first stop
sequence and at `max_tokens` words, so a FIM request's whole path can be checked end to end.
A prompt that carries a FIM template instead (`<fim_prefix>…<fim_suffix>…<fim_middle>`, what
an IDE sends a model it does not know to speak FIM) is split the same way. Each request it
receives is printed as one JSON line.

    python fim_upstream.py --port 9121
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

PROJECT = Path(__file__).resolve().parent / "project"
TEMPLATE = re.compile(r"<fim_prefix>(.*)<fim_suffix>(.*)<fim_middle>$", re.S)
PIECE = re.compile(r"\s*\S+|\s+")  # a word with the space before it: the stand-in's token


def middle_of(prefix: str, suffix: str) -> str:
    """The text between `prefix`'s end and `suffix`'s start in a project file, or ""."""
    for path in sorted(PROJECT.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        tail = prefix[-400:]
        start = text.find(tail)
        if not tail or start < 0:
            continue
        start += len(tail)
        end = text.find(suffix[:400], start) if suffix else len(text)
        if end >= 0:
            return text[start:end]
    return ""


def complete(body: dict[str, Any]) -> tuple[list[str], str]:
    """The answer's pieces and its finish reason, as a model under these settings would."""
    prompt, suffix = str(body.get("prompt", "")), body.get("suffix")
    template = TEMPLATE.search(prompt) if suffix is None else None
    if template:
        prompt, suffix = template.group(1), template.group(2)
    text = middle_of(prompt, suffix or "")
    stops = body.get("stop") or []
    for stop in [stops] if isinstance(stops, str) else stops:
        text = text.split(stop, 1)[0] if stop else text
    pieces = PIECE.findall(text)
    limit = int(body.get("max_tokens") or 16)
    return pieces[:limit], "length" if len(pieces) > limit else "stop"


def create_app(received: list[dict[str, Any]], echo: bool = False) -> Starlette:
    async def completions(request: Request) -> Response:
        body = await request.json()
        received.append(body)
        if echo:
            print(json.dumps({"path": request.url.path, "body": body}), flush=True)
        pieces, finish = complete(body)
        head = {"id": "cmpl-standin", "object": "text_completion", "created": int(time.time())}
        head["model"] = body.get("model", "")

        def choice(text: str, reason: str | None) -> dict[str, Any]:
            return {"text": text, "index": 0, "logprobs": None, "finish_reason": reason}

        words = len(f"{body.get('prompt', '')} {body.get('suffix') or ''}".split())
        usage = {"prompt_tokens": words, "completion_tokens": len(pieces)}
        usage["total_tokens"] = words + len(pieces)
        if not body.get("stream"):
            return JSONResponse(
                {**head, "choices": [choice("".join(pieces), finish)], "usage": usage}
            )

        def events() -> Iterator[str]:
            for piece in pieces:
                yield f"data: {json.dumps({**head, 'choices': [choice(piece, None)]})}\n\n"
            yield f"data: {json.dumps({**head, 'choices': [choice('', finish)]})}\n\n"
            if (body.get("stream_options") or {}).get("include_usage"):
                yield f"data: {json.dumps({**head, 'choices': [], 'usage': usage})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/completions", completions, methods=["POST"])])


if __name__ == "__main__":
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_app([], echo=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning")
