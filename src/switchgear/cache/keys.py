"""What a cached answer is filed under: the partition (route, and the key or team asking:
nothing is ever served across tenants), the hash of the request as the provider would get it
(after templates, knowledge and guards; less the fields that do not change the answer), and
for semantic lookups the hash of everything but the last user message, plus that message."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from switchgear.cache.config import CacheConfig
from switchgear.schema.requests import ChatCompletionRequest, CompletionRequest

# Fields that change how an answer is delivered or accounted, not what it says.
_DELIVERY = {"stream": False, "stream_options": None, "user": None, "metadata": None}


def partition_of(route: str, config: CacheConfig, key_id: str | None, team: str | None) -> str:
    if config.partition == "team" and team is not None:
        return f"{route}\x1fteam:{team}"
    return f"{route}\x1fkey:{key_id or 'anonymous'}"


def request_hash(model: str, request: Any) -> str:
    return _digest(model, _normalised(request))


def semantic_parts(model: str, request: Any) -> tuple[str, str] | None:
    """(context hash, last user message) of a chat whose last message is the user's text;
    a text completion's prompt is its own message. None where there is no such message."""
    if isinstance(request, ChatCompletionRequest):
        messages = request.messages
        last = messages[-1].content if messages and messages[-1].role == "user" else None
        if not isinstance(last, str):
            return None
        earlier = msgspec.structs.replace(request, messages=messages[:-1])
        return _digest(model, _normalised(earlier), "semantic"), last
    if isinstance(request, CompletionRequest) and isinstance(request.prompt, str):
        rest = msgspec.structs.replace(request, prompt="")
        return _digest(model, _normalised(rest), "semantic"), request.prompt
    return None


def _normalised(request: Any) -> bytes:
    fields = {k: v for k, v in _DELIVERY.items() if hasattr(request, k)}
    return msgspec.json.encode(msgspec.structs.replace(request, **fields))


def _digest(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\x00")
    return digest.hexdigest()
