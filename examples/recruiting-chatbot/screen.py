"""Screen two applications against a role (`openai` SDK; the role fills the template's
`role` variable). A request that names no role is refused: the template requires one."""

from __future__ import annotations

import os

import openai
from openai import OpenAI

URL = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080").rstrip("/") + "/v1"
client = OpenAI(base_url=URL, api_key=os.environ.get("SWITCHGEAR_API_KEY", "unused"))
ROLE = {"prompt_variables": {"role": "warehouse shift lead"}}
APPLICATIONS = {
    "Jonas Weber": "Jonas Weber, jonas.weber@example.com, +49 170 1234567. Six years as a "
    "forklift operator, two as shift lead at a parcel hub; certified in first aid.",
    "Priya Nair": "Priya Nair (priya.nair@example.net, born 14/03/1991). Retail store manager "
    "for four years, led a team of twelve, moved a stockroom to barcode scanning.",
}

for who, application in APPLICATIONS.items():
    reply = client.chat.completions.create(
        model="screening",
        messages=[{"role": "user", "content": application}],
        max_tokens=200,
        user="recruiter-17",
        extra_body=ROLE,
    )
    print(f"{who}: {(reply.choices[0].message.content or '').strip()[:120]!r}")

try:
    client.chat.completions.create(
        model="screening", messages=[{"role": "user", "content": "A CV"}], max_tokens=20
    )
except openai.BadRequestError as refused:
    print(f"no role: refused {refused.status_code} {refused.code} ({refused.param})")
