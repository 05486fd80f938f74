"""What `chat.html` makes the browser send, replayed with `httpx`: the CORS preflight, the
streamed chat with the page's `Origin`, and the same request from a page the gateway does
not know. The chat carries a name, an e-mail address and a `user` id."""

from __future__ import annotations

import json
import os

import httpx

URL = os.environ.get("SWITCHGEAR_URL", "http://127.0.0.1:8080").rstrip("/")
PAGE = "http://127.0.0.1:8765"
CHAT = {
    "model": "private-chat",
    "messages": [
        {"role": "user", "content": "Draft a reply to Anna Schmidt at anna.schmidt@example.org"}
    ],
    "user": "browser-profile-7f3a",
    "stream": True,
}

preflight = httpx.options(
    f"{URL}/v1/chat/completions",
    headers={
        "origin": PAGE,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    },
)
allowed = preflight.headers.get("access-control-allow-origin")
print(f"preflight: {preflight.status_code} allow-origin={allowed}")

for origin in (PAGE, "https://tracker.example"):
    headers = {"origin": origin, "content-type": "application/json"}
    with httpx.stream("POST", f"{URL}/v1/chat/completions", json=CHAT, headers=headers) as reply:
        if reply.status_code != 200:
            code = json.loads(reply.read())["error"]["code"]
            print(f"from {origin}: refused {reply.status_code} {code}")
            continue
        text = "".join(
            (json.loads(line[6:])["choices"] or [{}])[0].get("delta", {}).get("content") or ""
            for line in reply.iter_lines()
            if line.startswith("data: ") and line != "data: [DONE]"
        )
        target, exposed = (
            reply.headers["x-switchgear-target"],
            reply.headers.get("access-control-allow-origin"),
        )
        print(f"from {origin}: {target} allow-origin={exposed} answer={text!r}")

signed_in = {
    **CHAT,
    "model": "signed-in",
    "stream": False,
    "messages": [{"role": "user", "content": "Hi"}],
}
reply = httpx.post(f"{URL}/v1/chat/completions", json=signed_in, headers={"origin": PAGE})
print(f"signed-in: {reply.status_code}")
