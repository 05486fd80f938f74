"""A shop's customer messages, generated: the four intents of a support bot (order_status,
refund, product_question, human_agent) and off-topic messages no intent fits.

No labelled commerce intent set ships in a package this machine can install (banking77,
CLINC150, SNIPS and MASSIVE are on dataset hubs only), so this one is generated. The label
examples the gateway is configured with (`LABELS`) and the templates the test messages come
from (`_TEMPLATES`) were written separately, and no template restates an example: the set
measures how far the examples carry to other phrasings, not whether they are found again.
The same seed gives the same messages.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

# What the gateway is configured with: a description and four examples per intent (the same
# labels the test suite's commerce route uses).
LABELS: dict[str, Any] = {
    "order_status": {
        "description": "The customer asks where their order or delivery is",
        "examples": [
            "Where is my order?",
            "Has my package shipped yet?",
            "When will my delivery arrive?",
            "Can I get the tracking number?",
        ],
    },
    "refund": {
        "description": "The customer wants their money back for a purchase",
        "examples": [
            "I want a refund.",
            "Please return the money for this item.",
            "How do I get reimbursed for a broken product?",
            "Cancel my order and pay me back.",
        ],
    },
    "product_question": {
        "description": "The customer asks about a product's features, size, stock or fit",
        "examples": [
            "Is this jacket waterproof?",
            "Does the phone case fit the Pixel 8?",
            "What sizes does this shoe come in?",
            "Is the blender in stock?",
        ],
    },
    "human_agent": {
        "description": "The customer wants to talk to a person instead of the bot",
        "examples": [
            "Let me speak to a human.",
            "Connect me with a real agent please.",
            "I want to talk to customer service staff.",
            "Can I call someone?",
        ],
    },
}
OUT_OF_SCOPE = "out_of_scope"

_TEMPLATES: dict[str, list[str]] = {
    "order_status": [
        "{open}my {product} order hasn't arrived yet, it's been {span}.",
        "{open}can you check on order #{num}?{close}",
        "where's the {product} I bought {when}?",
        "the tracking page for my {product} hasn't updated {span}",
        "{open}is order {num} on its way?{close}",
        "{open}when should I expect the {product} to be delivered?",
        "my package says shipped but nothing came {span}{close}",
        "has the courier picked up my {product} yet?",
        "what's the delivery date for order #{num}?",
        "I ordered a {product} {when} and still have no shipping update",
    ],
    "refund": [
        "the {product} came broken, I'd like a refund",
        "{open}how do I get my money back for the {product}?",
        "I returned the {product} {when}, where is my refund?",
        "you charged me twice for order #{num}, please reverse one{close}",
        "I want to send the {product} back and be reimbursed",
        "can I get a refund on order {num}?{close}",
        "the {product} isn't what was advertised, I want my money returned",
        "please cancel order #{num} and refund my card",
        "still waiting on the refund for my {product}",
        "{open}I'd like to return this {product} for a full refund",
    ],
    "product_question": [
        "does the {product} come in {colour}?",
        "{open}what are the dimensions of the {product}?",
        "is the {product} compatible with {device}?",
        "how long is the warranty on the {product}?",
        "is the {product} back in stock?{close}",
        "what material is the {product} made from?",
        "can the {product} be used outdoors?",
        "does the {product} need batteries?",
        "{open}which size of the {product} would fit {fit}?",
        "how heavy is the {product}?",
    ],
    "human_agent": [
        "{open}I need to speak with a real person",
        "{open}put me through to a human, this bot isn't helping",
        "can I talk to someone from your support team?{close}",
        "{open}get me an operator please{close}",
        "{open}is there a live agent available?",
        "{open}I'd rather chat with a staff member than a machine{close}",
        "transfer me to a customer service rep{close}",
        "this is useless, let me talk to an actual human being{close}",
        "{open}what number can I call to reach a person?",
        "{open}could a member of staff contact me?{close}",
    ],
    OUT_OF_SCOPE: [
        "what's the capital of {country}?",
        "tell me a joke about {thing}",
        "who won the football match {when}?",
        "write me a short poem about {thing}",
        "{open}how do I bake sourdough bread?",
        "what's the weather going to be like tomorrow in {country}?",
        "translate good morning into {language}",
        "what is {num} divided by seven?",
    ],
}
_SLOTS: dict[str, list[str]] = {
    "open": ["", "", "Hi, ", "Hello there. ", "Quick question: ", "Hey - ", "Good morning, "],
    "close": ["", "", " Thanks.", " Please help.", " Thank you!", " asap"],
    "product": [
        "kettle",
        "running shoes",
        "desk lamp",
        "winter coat",
        "headphones",
        "sofa",
        "coffee grinder",
        "backpack",
        "phone charger",
        "yoga mat",
        "frying pan",
        "watch strap",
    ],
    "span": ["for two weeks", "since Tuesday", "in ten days", "for a while now", "all week"],
    "when": ["last week", "on Monday", "a month ago", "yesterday", "before the holidays"],
    "colour": ["black", "navy blue", "forest green", "white", "red"],
    "device": ["a MacBook Air", "Android phones", "the PlayStation 5", "USB-C ports"],
    "fit": ["a ten year old", "a 40 cm chest", "a small kitchen", "someone 190 cm tall"],
    "country": ["Portugal", "Kenya", "Canada", "Japan", "Chile"],
    "thing": ["penguins", "the sea", "autumn leaves", "my cat", "mountains"],
    "language": ["Italian", "Swahili", "Korean", "Dutch"],
}


@dataclass(frozen=True)
class Message:
    text: str
    label: str  # one of LABELS, or OUT_OF_SCOPE


def messages(per_intent: int = 40, out_of_scope: int = 40, seed: int = 14) -> list[Message]:
    """`per_intent` messages for each intent and `out_of_scope` off-topic ones, shuffled, no
    two alike."""
    rng = random.Random(seed)
    out: list[Message] = []
    for label, count in [*((name, per_intent) for name in LABELS), (OUT_OF_SCOPE, out_of_scope)]:
        templates = _TEMPLATES[label]
        seen: set[str] = set()
        for i in range(count):
            template = templates[i % len(templates)]  # every template, evenly
            for _ in range(20):  # a few draws for a message not already in the set
                text = template.format_map(_Filler(rng))
                text = text[0].upper() + text[1:]
                if text not in seen:
                    seen.add(text)
                    out.append(Message(text, label))
                    break
    rng.shuffle(out)
    return out


class _Filler(dict[str, str]):
    """Fills each `{slot}` with a random choice, and `{num}` with an order number."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng

    def __missing__(self, slot: str) -> str:
        if slot == "num":
            return str(self.rng.randint(10000, 99999))
        return self.rng.choice(_SLOTS[slot])
