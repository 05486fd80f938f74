"""`feed:` on a route: how `POST /v1/feeds/{route}` turns events into commentary.

```yaml
routes:
  commentary:
    targets: [default]
    feed:
      instructions: You are a football commentator. One or two lively sentences.
      context_events: 5         # earlier events the model sees with each new one
      fields: [minute, type, player, team, score]   # what the model sees of an event
      max_tokens: 60            # per commentary
      backlog: 8                # events that may wait while a commentary is written
```

Events that arrive while a commentary is being written wait, and the next commentary covers
all of them at once (the stream says which were coalesced). At most `backlog` wait: past it the
oldest waiting event is dropped, and the stream says so. Nothing queues without bound.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

DEFAULT_INSTRUCTIONS = (
    "You are a live sports commentator. For the new event, write one or two short, vivid "
    "sentences of commentary. Do not repeat earlier commentary."
)


class FeedConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # The system prompt of every commentary.
    instructions: Annotated[str, msgspec.Meta(min_length=1)] = DEFAULT_INSTRUCTIONS
    # How many earlier events go with each new one, as context.
    context_events: Annotated[int, msgspec.Meta(ge=0, le=50)] = 5
    # The event fields the model sees, in this order; empty: every field as sent.
    fields: list[str] = []
    # The field that names an event in the stream; an event without it is named by its line.
    id_field: Annotated[str, msgspec.Meta(min_length=1)] = "id"
    max_tokens: Annotated[int, msgspec.Meta(ge=1, le=4096)] = 60
    temperature: Annotated[float, msgspec.Meta(ge=0, le=2)] | None = None
    # Events that may wait while a commentary is written; they are coalesced into the next.
    backlog: Annotated[int, msgspec.Meta(ge=1, le=64)] = 8
    # A longer line is refused (an `error` event; the feed goes on).
    max_event_bytes: Annotated[int, msgspec.Meta(ge=64, le=1_048_576)] = 16_384
    # A feed that sends nothing (not even a blank keep-alive line) for this long is closed.
    idle_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=86_400)] = 300.0
