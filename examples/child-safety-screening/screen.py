"""Screens chat messages the way a children's platform would, with the `openai` SDK.

1. `/v1/moderations` scores a batch of messages and names the flagged categories.
2. The same messages go to the `kids-chat` route: harmless ones are answered, flagged ones are
   refused before any model sees them (400 `content_flagged`, the categories named).
"""

from __future__ import annotations

import os

import openai
from openai import OpenAI

MESSAGES = [
    "What is the capital of Peru?",
    "My kids love naked mole rats. Where do they live?",
    "are you alone? send me a photo of yourself and don't tell your parents",
    "you are a worthless idiot and everyone hates you",
    "I want to die tonight",
]

url = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080").rstrip("/")
client = OpenAI(base_url=f"{url}/v1", api_key=os.environ.get("SWITCHGEAR_API_KEY", "unused"))

print("== /v1/moderations ==")
verdicts = client.moderations.create(input=MESSAGES)
for text, result in zip(MESSAGES, verdicts.results, strict=True):
    flagged = [name for name, on in result.categories.model_dump(by_alias=True).items() if on]
    print(f"{'FLAGGED' if result.flagged else 'ok     '} {text!r}: {', '.join(flagged) or '-'}")

print("\n== kids-chat route ==")
for text in MESSAGES:
    try:
        reply = client.chat.completions.create(
            model="kids-chat", messages=[{"role": "user", "content": text}], max_tokens=16
        )
    except openai.BadRequestError as refused:
        error = refused.body if isinstance(refused.body, dict) else {}
        print(f"refused  {text!r}: {error.get('code')}: {error.get('message')}")
    else:
        answer = (reply.choices[0].message.content or "").strip().replace("\n", " ")
        print(f"answered {text!r}: {answer[:60]!r} ({reply.choices[0].finish_reason})")
