# ruff: noqa: RUF001 (Japanese prompts use full-width punctuation)
"""Japanese and English prompts to one route (`openai` SDK): the gateway names the language it
detected in `x-switchgear-language` and the target that answered in `x-switchgear-target`."""

from __future__ import annotations

import os

import openai
from openai import OpenAI

URL = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080").rstrip("/") + "/v1"
client = OpenAI(base_url=URL, api_key=os.environ.get("SWITCHGEAR_API_KEY", "unused"))


def ask(route: str, text: str) -> None:
    try:
        raw = client.chat.completions.with_raw_response.create(
            model=route, messages=[{"role": "user", "content": text}], max_tokens=24
        )
    except openai.APIStatusError as refused:
        print(f"{route} | {text[:30]} | refused {refused.status_code} {refused.code}")
        return
    answer = (raw.parse().choices[0].message.content or "").strip().replace("\n", " ")
    language = raw.headers.get("x-switchgear-language", "-")
    print(
        f"{route} | {text[:30]} | {language} | {raw.headers['x-switchgear-target']} | {answer[:50]}"
    )


ask("assistant", "来週の東京出張のためにホテルを予約したいのですが、おすすめはありますか？")
ask("assistant", "Can you suggest a good hotel for my business trip to Tokyo next week?")
ask("assistant", "日本語で自己紹介をしてください。")
ask("japanese-desk", "返品の手続きを教えてください。")
ask("japanese-desk", "Could you explain how I return an item I bought online last week?")
ask("japanese-desk", "How do I return an item?")  # too short to tell: no language
