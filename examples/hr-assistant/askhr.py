"""Asks AskHR the same questions as an employee and as a member of HR (`openai` SDK).

The `askhr` route answers from the `hr` collection and returns `citations` next to `choices`;
`/v1/search` shows which passages each key may retrieve at all.
"""

from __future__ import annotations

import os

import httpx
from openai import OpenAI

URL = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080").rstrip("/")
LEAVE = "How many days of annual leave do I get?"
SALARY = "What is the salary band for senior engineers?"


def ask(who: str, key: str, questions: list[str]) -> None:
    client = OpenAI(base_url=f"{URL}/v1", api_key=key)
    for question in questions:
        found = httpx.post(
            f"{URL}/v1/search",
            json={"query": question, "model": "askhr"},
            headers={"authorization": f"Bearer {key}"},
            timeout=60,
        )
        found.raise_for_status()
        sources = [hit["source"] for hit in found.json()["data"]]
        reply = client.chat.completions.create(
            model="askhr",
            messages=[{"role": "user", "content": question}],
            max_tokens=20,
            temperature=0,
        )
        cited = [c["source"] for c in reply.model_dump().get("citations") or []]
        answer = (reply.choices[0].message.content or "").strip().replace("\n", " ")
        print(f"[{who}] {question}")
        print(f"  may retrieve: {', '.join(sources) or '-'}")
        print(f"  answer: {answer[:160]}")
        print(f"  cited: {', '.join(cited) or '-'}")


ask("employee", os.environ["EMPLOYEE_KEY"], [LEAVE, SALARY])
ask("hr", os.environ["HR_KEY"], [SALARY])
