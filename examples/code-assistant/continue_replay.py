"""The requests the Continue IDE extension sends an OpenAI-compatible server, replayed as it
sends them (raw JSON over HTTP, streamed): two inline-completion shapes on `/v1/completions`
and a chat turn on `/v1/chat/completions`. The cursor sits in `project/shop/cart.py`, inside
`total_cents`; each line says which target served the request.

Shapes, from Continue's sources: a provider that speaks fill-in-the-middle sends the text
before the cursor as `prompt` and the text after it as `suffix` (core/llm/llms/LlamaStack.ts,
`_streamFim`); the `openai` provider instead renders the model's FIM template into `prompt`
(StarCoder's `<fim_prefix>…<fim_suffix>…<fim_middle>`, core/autocomplete/templating) and
sends the template's stop words (`_legacystreamComplete`). Chat is `_streamChat`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx

URL = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080").rstrip("/") + "/v1"
HEADERS = {"Authorization": f"Bearer {os.environ.get('SWITCHGEAR_API_KEY', 'unused')}"}
# The stop words of Continue's StarCoder-style template, all seven as it sends them to a
# self-hosted server (it trims them to 4 only for api.openai.com, Groq and Azure).
TEMPLATE_STOPS = [
    "<fim_prefix>",
    "<fim_suffix>",
    "<fim_middle>",
    "<file_sep>",
    "<|endoftext|>",
    "</fim_middle>",
    "</code>",
]

source = Path("project/shop/cart.py").read_text(encoding="utf-8")
cursor = source.index("return sum(") + len("return sum(")
prefix, suffix = source[:cursor], source[source.index("\n\n    def is_empty") :]


def post(path: str, body: dict[str, Any]) -> tuple[str, str]:
    """The streamed text and the target that served it, or the refusal."""
    with httpx.stream("POST", URL + path, json=body, headers=HEADERS, timeout=120) as reply:
        if reply.status_code != 200:
            error = json.loads(reply.read())["error"]
            return f"refused {reply.status_code} {error['code']} ({error['param']})", "-"
        text = ""
        for line in reply.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                for choice in json.loads(line[6:])["choices"]:
                    text += choice.get("text") or (choice.get("delta") or {}).get("content") or ""
        return text, reply.headers["x-switchgear-target"]


def show(label: str, path: str, body: dict[str, Any]) -> None:
    text, target = post(path, body)
    print(f"{label} | {target} | {text.strip()[:70]!r}")


fim = {"model": "code-fim", "max_tokens": 256, "temperature": 0.01, "stream": True}
show(
    "fim prompt+suffix",
    "/completions",
    {**fim, "prompt": prefix, "suffix": suffix, "stop": TEMPLATE_STOPS},
)
templated = f"<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>"
show("fim template", "/completions", {**fim, "prompt": templated, "stop": TEMPLATE_STOPS})
show(
    "fim on the embedded model",
    "/completions",
    {**fim, "model": "default", "prompt": prefix, "suffix": suffix},
)
chat = [
    {"role": "system", "content": "You are a helpful coding assistant."},
    {"role": "user", "content": f"```python\n{source}```\nWhat does total_cents return?"},
]
show(
    "chat",
    "/chat/completions",
    {"model": "code-chat", "messages": chat, "max_tokens": 48, "temperature": 0.2, "stream": True},
)
