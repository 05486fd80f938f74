"""The chat request that asks a route's model for one commentary: the feed's instructions as
the system prompt, the last `context_events` events as context, then the new event (or the
events coalesced into this commentary). Only the fields the feed names reach the model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from switchgear.feeds.backlog import FeedEvent
from switchgear.feeds.config import FeedConfig
from switchgear.schema.requests import ChatCompletionRequest, Message


def commentary_request(
    route: str, config: FeedConfig, events: Sequence[FeedEvent], earlier: Sequence[FeedEvent]
) -> ChatCompletionRequest:
    """`events` (one, or several coalesced) with `earlier` (oldest first) as context."""
    lines: list[str] = []
    recent = list(earlier)[-config.context_events :] if config.context_events else []
    if recent:
        lines.append("Earlier events:")
        lines += [f"- {describe(config, event)}" for event in recent]
        lines.append("")
    lines.append("New event:" if len(events) == 1 else "New events, in order:")
    lines += [f"- {describe(config, event)}" for event in events]
    return ChatCompletionRequest(
        model=route,
        messages=[
            Message(role="system", content=config.instructions),
            Message(role="user", content="\n".join(lines)),
        ],
        max_tokens=config.max_tokens,
        temperature=config.temperature,
        stream=True,
    )


def describe(config: FeedConfig, event: FeedEvent) -> str:
    """`name: value` for each field the model should see (`fields`, or all but the id)."""
    fields = event.fields
    names = config.fields or [name for name in fields if name != config.id_field]
    shown = [f"{name}: {_text(fields[name])}" for name in names if fields.get(name) is not None]
    return ", ".join(shown) or "(no details)"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode()
