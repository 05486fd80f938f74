"""Players talk to three characters (`openai` SDK): the innkeeper on her own route, and two
townsfolk from one `npc` template the game fills per character (`prompt_id` and
`prompt_variables`, the LiteLLM way). A character missing a required variable is refused."""

from __future__ import annotations

import os

import openai
from openai import OpenAI

URL = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080").rstrip("/") + "/v1"
client = OpenAI(base_url=URL, api_key=os.environ.get("SWITCHGEAR_API_KEY", "unused"))


def talk(who: str, route: str, line: str, persona: dict[str, object] | None = None) -> None:
    try:
        reply = client.chat.completions.create(
            model=route,
            messages=[{"role": "user", "content": line}],
            max_tokens=40,
            extra_body=persona,
        )
    except openai.BadRequestError as refused:
        print(f"{who}: refused {refused.status_code} {refused.code} ({refused.param})")
        return
    print(f"{who}: {(reply.choices[0].message.content or '').strip()[:80]!r}")


talk("Mira (tavern)", "tavern", "Good evening! What's the special tonight?")
blacksmith = {"name": "Brom", "role": "blacksmith", "tone": "gruff"}
talk(
    "Brom (npc)",
    "townsfolk",
    "Can you fix my sword?",
    {"prompt_id": "npc", "prompt_variables": blacksmith},
)
guard = {"name": "Edda", "role": "gate guard", "secret": "the north gate lock is broken"}
talk(
    "Edda (npc)",
    "townsfolk",
    "Anything odd at the gate?",
    {"prompt_id": "npc", "prompt_variables": guard},
)
talk(
    "nameless (npc)",
    "townsfolk",
    "Hello?",
    {"prompt_id": "npc", "prompt_variables": {"role": "baker"}},
)
