"""Three internal apps of the bank, each with its own key (`openai` SDK).

- risk / credit-memo uses Llama 2 on the bank's vLLM server;
- retail-banking / branch-assistant is refused Llama 2 by policy and uses the default model;
- data-science / sandbox has a key limited to 2 requests a minute.
"""

from __future__ import annotations

import os

import openai
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

URL = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080").rstrip("/") + "/v1"
ASK: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "Summarise the credit risk of a small bakery in one line."}
]


def client(key: str) -> OpenAI:
    return OpenAI(base_url=URL, api_key=key, max_retries=0)  # show a 429, do not retry it


def chat(app: str, key: str, model: str) -> None:
    try:
        raw = client(key).chat.completions.with_raw_response.create(
            model=model, messages=ASK, max_tokens=16
        )
    except openai.APIStatusError as refused:
        print(f"{app} -> {model}: {refused.status_code} {refused.code}: {refused.body}")
        return
    reply = raw.parse()
    text = (reply.choices[0].message.content or "").strip().replace("\n", " ")
    print(f"{app} -> {model}: served by {raw.headers['x-switchgear-target']}: {text[:70]!r}")


chat("risk/credit-memo", os.environ["RISK_KEY"], "llama-2-13b-chat")
chat("retail-banking/branch-assistant", os.environ["RETAIL_KEY"], "llama-2-13b-chat")
chat("retail-banking/branch-assistant", os.environ["RETAIL_KEY"], "default")

for attempt in range(1, 4):
    try:
        listed = client(os.environ["SANDBOX_KEY"]).models.list()
        print(f"data-science/sandbox: models request {attempt}: {len(listed.data)} models listed")
    except openai.RateLimitError as limited:
        limit = limited.response.headers.get("x-switchgear-limit")
        wait = limited.response.headers.get("retry-after")
        print(f"data-science/sandbox: models request {attempt}: 429 ({limit}, retry after {wait}s)")
