"""Reads the caller's secret from the headers OpenAI, Azure and Anthropic clients send."""

from __future__ import annotations

from starlette.requests import Request


def caller_secret(request: Request) -> str | None:
    authorization = request.headers.get("authorization")
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return request.headers.get("x-api-key") or request.headers.get("api-key")
