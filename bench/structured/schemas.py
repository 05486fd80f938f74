"""Seeded, generated JSON schemas and the prompts that go with them, for structured output on
the embedded model: nesting, enums, arrays with item counts, optional fields, strings that
invite quotes, line breaks and non-ASCII text, bounded numbers, booleans, nulls, anyOf,
`$ref`s into `$defs`, a few formats and patterns.

Property names are drawn in random order, so the schema's order is almost never alphabetical
and a grammar that sorts them shows. Nothing here is tuned to what the model or grammar does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

TOPICS = [
    "book review", "recipe", "support ticket", "weather report", "product listing",
    "concert", "employee record", "song", "road trip", "bug report", "museum visit",
    "football match", "hotel booking", "poem", "lab experiment", "garden plan",
]  # fmt: skip
WORDS = [
    "title", "summary", "author", "rating", "price", "city", "status", "notes", "count",
    "quote", "verdict", "category", "owner", "score", "label", "comment", "address", "tags",
    "details", "level", "origin", "reason", "steps", "items", "contact", "schedule", "color",
    "lyrics", "greeting", "motto", "weight", "duration", "priority", "region", "mood", "code",
]  # fmt: skip
# What a string field asks for in the prompt: the hard cases for a JSON grammar.
INVITES = [
    'include a quotation in double quotes, like "so it goes"',
    "write it on two lines, with a line break in the middle",
    "use accented and non-Latin letters (café, naïve, Zürich, 東京, Привет)",
    "a Windows path such as C:\\Users\\ann\\notes.txt",
    "a tab-separated pair of words",
    "an emoji or two 🎉",
]
ENUM_WORDS = ["low", "medium", "high", "red", "green", "blue", "open", "closed", "new", "done"]
LEAF_KINDS = [
    "string", "string", "invite", "enum", "integer", "number", "boolean", "nullable",
    "const", "format", "pattern", "anyof",
]  # fmt: skip
PATTERNS = ["^[A-Z]{3}-[0-9]{2}$", "^[a-z]+(-[a-z]+)?$", "^(yes|no|maybe)$", "^[0-9]{4}$"]


@dataclass(frozen=True, slots=True)
class Case:
    """One structured-output request: a schema, the prompt that asks for it, and a rough
    token budget (the bench raises it for an answer that hits it)."""

    name: str
    schema: dict[str, Any]
    prompt: str
    max_tokens: int


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.hints: list[str] = []
        self.defs: dict[str, Any] = {}
        self.tokens = 4

    def leaf(self, name: str) -> dict[str, Any]:
        rng = self.rng
        kind = rng.choice(LEAF_KINDS)
        self.tokens += 6
        if kind in ("string", "invite"):
            schema: dict[str, Any] = {"type": "string"}
            if rng.random() < 0.75:
                schema["maxLength"] = rng.choice([8, 20, 40, 60])
                self.tokens += schema["maxLength"] // 2
            else:
                self.tokens += 40
            if rng.random() < 0.2:
                schema["minLength"] = 1
            if kind == "invite":
                invite = rng.choice(INVITES)
                schema["description"] = invite
                self.hints.append(f"for `{name}`, {invite}")
            return schema
        if kind == "enum":
            return {"type": "string", "enum": rng.sample(ENUM_WORDS, rng.randint(2, 4))}
        if kind == "integer":
            low = rng.choice([None, -50, 0, 1, 10])
            schema = {"type": "integer"}
            if low is not None:
                schema["exclusiveMinimum" if rng.random() < 0.3 else "minimum"] = low
            if rng.random() < 0.7:
                schema["maximum"] = (low or 0) + rng.choice([5, 100, 5000])
            return schema
        if kind == "number":
            schema = {"type": "number"}
            if rng.random() < 0.7:
                schema["minimum"] = rng.choice([-1.5, 0, 0.5, 10])
            if rng.random() < 0.7:
                bound = schema.get("minimum", 0) + rng.choice([1, 2.5, 100])
                schema["exclusiveMaximum" if rng.random() < 0.3 else "maximum"] = bound
            return schema
        if kind == "boolean":
            return {"type": "boolean"}
        if kind == "nullable":
            inner = rng.choice(["string", "integer", "boolean"])
            if inner == "string":
                self.tokens += 10
                return {"type": ["string", "null"], "maxLength": 30}
            return {"type": [inner, "null"]}
        if kind == "const":
            return {"const": rng.choice(["v1", 3, True, None, 'fixed "quoted" value'])}
        if kind == "format":
            fmt = rng.choice(["date", "date-time", "uuid", "time"])
            self.tokens += 20
            return {"type": "string", "format": fmt}
        if kind == "pattern":
            return {"type": "string", "pattern": rng.choice(PATTERNS)}
        options = [self.leaf(name) for _ in range(2)]
        if rng.random() < 0.5:
            options.append({"type": "null"})
        return {"anyOf": options}

    def value(self, name: str, depth: int) -> dict[str, Any]:
        roll = self.rng.random()
        if depth < 2 and roll < 0.15:
            return self.object(depth + 1)
        if depth < 2 and roll < 0.22:
            return self.reference(depth + 1)
        if roll < 0.35:
            low = self.rng.choice([0, 1])
            high = self.rng.choice([2, 3])
            items = self.object(depth + 1) if depth < 1 and self.rng.random() < 0.4 else None
            schema = {"type": "array", "items": items or self.leaf(name)}
            schema.update(minItems=low, maxItems=high)
            self.tokens += 8 * high
            return schema
        return self.leaf(name)

    def reference(self, depth: int) -> dict[str, Any]:
        name = f"Part{len(self.defs)}"
        self.defs[name] = {}  # the name is taken before its own parts take theirs
        self.defs[name] = self.object(depth)
        return {"$ref": f"#/$defs/{name}"}

    def object(self, depth: int) -> dict[str, Any]:
        count = self.rng.randint(2, 5 if depth == 0 else 3)
        names = self.rng.sample(WORDS, count)
        properties = {name: self.value(name, depth) for name in names}
        optional = {n for n in names if self.rng.random() < 0.3}
        schema: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "required": [n for n in names if n not in optional],
        }
        if self.rng.random() < 0.8:
            schema["additionalProperties"] = False
        self.tokens += 4 * count
        return schema


def generate(count: int, seed: int = 2024) -> list[Case]:
    """`count` cases, the same ones for the same seed."""
    rng = random.Random(seed)
    cases = []
    for index in range(count):
        builder = _Builder(rng)
        schema = builder.object(0)
        if builder.defs:
            schema["$defs"] = builder.defs
        topic = rng.choice(TOPICS)
        fields = ", ".join(schema["properties"])
        prompt = f"Write a {topic} as a JSON object with the fields {fields}."
        if builder.hints:
            prompt += " In it, " + "; ".join(builder.hints) + "."
        budget = min(600, max(64, int(builder.tokens * 1.5)))
        cases.append(Case(f"case-{index:03d}", schema, prompt, budget))
    return cases
