"""Rewriting a chat request's texts: every message's text (string content and text parts) and
every tool call's JSON arguments. Produces a modified copy; the original is not touched."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from switchgear.guards.entities import Span
from switchgear.schema.requests import (
    ChatCompletionRequest,
    FunctionCall,
    Message,
    TextPart,
)

# Actions a policy can take for an entity type.
ALLOW = "allow"
BLOCK = "block"
REDACT = "redact"
PSEUDONYMIZE = "pseudonymize"
ROUTE_LOCAL = "route_local"


def request_texts(request: ChatCompletionRequest) -> Iterator[str]:
    """Every piece of text a provider would see, in a stable order."""
    for message in request.messages:
        yield from _message_texts(message)


def _message_texts(message: Message) -> Iterator[str]:
    if isinstance(message.content, str):
        yield message.content
    elif message.content:
        for part in message.content:
            if isinstance(part, TextPart):
                yield part.text
    for call in message.tool_calls or ():
        yield from _json_strings(call.function.arguments)
    if message.function_call is not None:
        yield from _json_strings(message.function_call.arguments)


def _json_strings(arguments: str) -> Iterator[str]:
    try:
        value = json.loads(arguments)
    except ValueError:
        yield arguments
        return
    yield from _walk_strings(value)


def _walk_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_strings(item)


@dataclass(slots=True)
class Pseudonyms:
    """Stable placeholders for one request: the same value gets the same `<TYPE_n>`."""

    by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    originals: dict[str, str] = field(default_factory=dict)
    _next: dict[str, int] = field(default_factory=dict)

    def placeholder(self, entity_type: str, value: str) -> str:
        key = (entity_type, value)
        found = self.by_value.get(key)
        if found is None:
            n = self._next.get(entity_type, 0) + 1
            self._next[entity_type] = n
            found = f"<{entity_type}_{n}>"
            self.by_value[key] = found
            self.originals[found] = value
        return found


def rewrite_text(
    text: str, spans: list[Span], actions: Mapping[str, str], pseudonyms: Pseudonyms
) -> str:
    """Replace each span whose type's action is redact (`[TYPE]`) or pseudonymize (`<TYPE_n>`)."""
    out: list[str] = []
    cursor = 0
    for span in spans:
        action = actions.get(span.type, ALLOW)
        if action == REDACT:
            replacement = f"[{span.type}]"
        elif action == PSEUDONYMIZE:
            replacement = pseudonyms.placeholder(span.type, text[span.start : span.end])
        else:
            continue
        out.append(text[cursor : span.start])
        out.append(replacement)
        cursor = span.end
    if cursor == 0:
        return text
    out.append(text[cursor:])
    return "".join(out)


TextMap = Callable[[str], str]


def map_request(request: ChatCompletionRequest, change: TextMap) -> ChatCompletionRequest:
    """A copy of `request` with `change` applied to every text `request_texts` yields."""
    messages = [_map_message(m, change) for m in request.messages]
    return msgspec.structs.replace(request, messages=messages)


def _map_message(message: Message, change: TextMap) -> Message:
    updates: dict[str, Any] = {}
    if isinstance(message.content, str):
        updates["content"] = change(message.content)
    elif message.content:
        updates["content"] = [
            msgspec.structs.replace(p, text=change(p.text)) if isinstance(p, TextPart) else p
            for p in message.content
        ]
    if message.tool_calls:
        updates["tool_calls"] = [
            msgspec.structs.replace(
                call,
                function=msgspec.structs.replace(
                    call.function, arguments=_map_json(call.function.arguments, change)
                ),
            )
            for call in message.tool_calls
        ]
    if message.function_call is not None:
        updates["function_call"] = FunctionCall(
            name=message.function_call.name,
            arguments=_map_json(message.function_call.arguments, change),
        )
    return msgspec.structs.replace(message, **updates) if updates else message


def _map_json(arguments: str, change: TextMap) -> str:
    try:
        value = json.loads(arguments)
    except ValueError:
        return change(arguments)
    return json.dumps(_map_value(value, change), ensure_ascii=False)


def _map_value(value: Any, change: TextMap) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {k: _map_value(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_value(v, change) for v in value]
    return value
