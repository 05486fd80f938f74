"""Four requests to the `assistant` route and which target served each (`openai` SDK; the
gateway names it in the `x-switchgear-target` header)."""

from __future__ import annotations

import os

import openai
from openai import OpenAI

URL = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080").rstrip("/") + "/v1"
client = OpenAI(base_url=URL, api_key=os.environ.get("SWITCHGEAR_API_KEY", "unused"))


def ask(label: str, text: str, n: int = 1) -> None:
    try:
        raw = client.chat.completions.with_raw_response.create(
            model="assistant", messages=[{"role": "user", "content": text}], max_tokens=16, n=n
        )
    except openai.APIStatusError as refused:
        print(f"{label}: refused {refused.status_code} {refused.code}")
        return
    reply = raw.parse()
    answers = [(c.message.content or "").strip().replace("\n", " ")[:60] for c in reply.choices]
    print(f"{label}: {raw.headers['x-switchgear-target']}: {answers}")


ask("plain question", "Name three colours.")
ask("two alternatives", "Suggest a name for a bakery.", n=2)
ask("personal data", "Write a subject line for my email to jane.doe@example.com")
ask("personal data, two alternatives", "Two subject lines for jane.doe@example.com", n=2)
