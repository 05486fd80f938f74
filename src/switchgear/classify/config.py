"""`classify:` on a route: the labels `POST /v1/classifications` sorts text into, and how.

```yaml
routes:
  support-intents:
    targets: [default]          # the model `method: generate` asks; unused by `embedding`
    classify:
      method: embedding         # nearest label by cosine similarity (the built-in MiniLM)
      threshold: 0.4            # a best score under it answers `fallback` (or null)
      fallback: human_agent
      labels:
        order_status: {description: Where an order is, examples: ["where is my parcel"]}
        refund: {description: Money back for an order, examples: ["I want my money back"]}
```

`method: generate` asks the route's model to pick a label under a grammar that admits only the
label names (and `fallback`, as "none of these"); its answers carry no score, so it takes no
`threshold`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Literal, Protocol

import msgspec

# Label names are identifiers the caller's code switches on, and the generate method's
# grammar spells them out: letters, digits and a little punctuation, no spaces.
LABEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")
Score = Annotated[float, msgspec.Meta(ge=-1.0, le=1.0)]


class LabelConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    description: str = ""
    examples: list[str] = []

    def phrases(self) -> Iterator[str]:
        """What stands for this label in the embedding space: its description and examples."""
        if self.description.strip():
            yield self.description
        yield from self.examples


class ClassifyConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    labels: dict[str, LabelConfig]
    method: Literal["embedding", "generate"] = "embedding"
    # Cosine similarity (embedding only): a best score under it answers `fallback`.
    threshold: Score | None = None
    # The label of a text no configured label fits; null when unset. It may name one of
    # `labels` (hand unclear messages to `human_agent`) or a label of its own.
    fallback: str | None = None
    # Every label over `threshold` (embedding) or every label the model names (generate).
    multi_label: bool = False

    def choices(self) -> list[str]:
        """The names an answer may hold: the labels, then `fallback` if it is a name of its
        own (for the generate method, the model's "none of these")."""
        names = list(self.labels)
        if self.fallback is not None and self.fallback not in self.labels:
            names.append(self.fallback)
        return names


class HasClassify(Protocol):
    @property
    def classify(self) -> ClassifyConfig | None: ...


Problem = tuple[tuple[str | int, ...], str]


def problems(routes: Mapping[str, HasClassify]) -> list[Problem]:
    """What is wrong with each route's `classify:`, as (path from the top, message)."""
    out: list[Problem] = []
    for name, route in routes.items():
        if route.classify is not None:
            out.extend(_problems_of(route.classify, ("routes", name, "classify")))
    return out


def _problems_of(config: ClassifyConfig, at: tuple[str | int, ...]) -> Iterator[Problem]:
    if len(config.choices()) < 2:
        yield (*at, "labels"), "needs at least two labels (or one and a `fallback`)"
    for label, spec in config.labels.items():
        where = (*at, "labels", label)
        if not LABEL_NAME.match(label):
            yield where, f"label name `{label}` must be 1-64 letters, digits or `_.:/-`"
        if not spec.description.strip() and not spec.examples:
            yield where, "a label needs a `description` or `examples` to be recognised by"
        for i, example in enumerate(spec.examples):
            if not example.strip():
                yield (*where, "examples", i), "an example is empty"
    if config.fallback is not None and not LABEL_NAME.match(config.fallback):
        yield (*at, "fallback"), "the fallback must be a label name (letters, digits, `_.:/-`)"
    if config.method == "generate" and config.threshold is not None:
        yield (*at, "threshold"), "`method: generate` answers carry no score; drop `threshold`"
    if config.method == "embedding" and config.multi_label and config.threshold is None:
        yield (*at, "threshold"), "`multi_label` with `method: embedding` needs a `threshold`"


__all__ = ["ClassifyConfig", "LabelConfig", "problems"]
