"""Rewriting one text: each detected span becomes `[TYPE]` (redact) or a stable `<TYPE_n>`
placeholder (pseudonymise). Which strings of a request are rewritten is the request kind's
business (`map_texts` in `schema/`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from switchgear.guards.entities import Span

# Actions a policy can take for an entity type.
ALLOW = "allow"
BLOCK = "block"
REDACT = "redact"
PSEUDONYMIZE = "pseudonymize"
ROUTE_LOCAL = "route_local"


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
