"""Three requests to the `work` route (`openai` SDK) and where each went: the gateway names
the target in `x-switchgear-target`."""

from __future__ import annotations

import os

from openai import OpenAI

URL = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080").rstrip("/") + "/v1"
client = OpenAI(base_url=URL, api_key=os.environ.get("SWITCHGEAR_API_KEY", "unused"))

REQUESTS = {
    "general": "Summarise how metformin lowers blood sugar, in two sentences.",
    "patient letter": "Draft a short follow-up note to Maria Schmidt (maria.schmidt@example.org, "
    "born 14.03.1961) about the nausea she reported in trial PX-204.",
    "adverse event": "Patient MRN 00481516, phone +49 30 1234567: classify this adverse event "
    "after dose 2 as mild, moderate or severe: headache for two days.",
}

for label, text in REQUESTS.items():
    raw = client.chat.completions.with_raw_response.create(
        model="work", messages=[{"role": "user", "content": text}], max_tokens=24
    )
    answer = (raw.parse().choices[0].message.content or "").strip().replace("\n", " ")
    print(f"{label}: {raw.headers['x-switchgear-target']}: {answer[:70]!r}")
