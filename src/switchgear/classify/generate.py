"""`method: generate`: the route's model picks the label. The question goes out as an internal
call (a trip of its own: guarded, routed, limited and ledgered as `internal.classify`, charged
to the caller), with a `response_format` JSON schema whose `enum` holds only the label names:
the embedded model's grammar cannot write anything else, and an upstream that honours JSON
schemas is held to the same."""

from __future__ import annotations

import json
from typing import Any

from switchgear.classify.config import ClassifyConfig
from switchgear.schema.kinds import InternalCall
from switchgear.schema.requests import (
    ChatCompletionRequest,
    JsonSchemaFormat,
    Message,
    ResponseFormatJsonSchema,
)

PURPOSE = "classify"  # the internal call's ledger endpoint is `internal.classify`
_EXAMPLES_SHOWN = 3  # per label: enough to show the sense of it, short enough for small models
_NONE_OF_THESE = "none of the other labels fits"
_INSTRUCTIONS = (
    "You sort a message into labels. Read the labels and the message, then answer with the "
    "name of the label that fits the message best."
)
_MULTI_INSTRUCTIONS = (
    "You sort a message into labels. Read the labels and the message, then answer with the "
    "names of every label that fits the message, best first."
)


def choice_call(route: str, config: ClassifyConfig, text: str) -> InternalCall:
    """The internal call that asks `route`'s model for `text`'s label(s)."""
    choices = config.choices()
    one: dict[str, Any] = {"type": "string", "enum": choices}
    schema: dict[str, Any] = one
    # Each name with its quotes and a little slack, in tokens (a token is at least a byte).
    longest = max(len(name) for name in choices) + 4
    max_tokens = longest
    if config.multi_label:
        schema = {"type": "array", "items": one, "minItems": 1, "maxItems": len(choices)}
        max_tokens = longest * len(choices) + 4
    chat = ChatCompletionRequest(
        model=route,
        messages=[
            Message(
                role="system", content=_MULTI_INSTRUCTIONS if config.multi_label else _INSTRUCTIONS
            ),
            Message(role="user", content=_question(config, text)),
        ],
        max_tokens=max_tokens,
        temperature=0.0,
        response_format=ResponseFormatJsonSchema(
            json_schema=JsonSchemaFormat(name="label", schema=schema, strict=True)
        ),
    )
    return InternalCall(PURPOSE, chat)


def _question(config: ClassifyConfig, text: str) -> str:
    lines = ["Labels:"]
    for name, label in config.labels.items():
        about = label.description.strip()
        shown = "; ".join(f'"{example}"' for example in label.examples[:_EXAMPLES_SHOWN])
        if shown:
            about = f"{about} (for example {shown})" if about else f"for example {shown}"
        lines.append(f"- {name}: {about}")
    if config.fallback is not None and config.fallback not in config.labels:
        lines.append(f"- {config.fallback}: {_NONE_OF_THESE}")
    lines += ["", f"Message: {text}", "", "Label:"]
    return "\n".join(lines)


def read_choice(config: ClassifyConfig, answer: str) -> list[str]:
    """The label names in the model's answer, best first, each once. An answer that is not the
    schema's JSON (an upstream that ignored it) still counts where it names exactly one label;
    anything else names none."""
    choices = config.choices()
    try:
        value: Any = json.loads(answer)
    except ValueError:
        value = answer.strip().strip("\"'`. ")
    named = value if isinstance(value, list) else [value]
    found = [name for name in dict.fromkeys(named) if isinstance(name, str) and name in choices]
    if not found and isinstance(value, str):
        mentioned = [name for name in choices if name.lower() in value.lower()]
        found = mentioned if len(mentioned) == 1 else []
    return found if config.multi_label else found[:1]
