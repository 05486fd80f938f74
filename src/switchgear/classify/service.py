"""The provider step of `POST /v1/classifications`: the trip has passed auth (the key may use
the route) and guards.in (the inputs are screened, perhaps rewritten); this picks each input's
label by the route's `classify:` method and writes the response body."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from switchgear.classify.config import ClassifyConfig, HasClassify
from switchgear.classify.embedding import LabelIndex
from switchgear.classify.generate import choice_call, read_choice
from switchgear.schema.errors import GatewayError, InvalidRequest, NotFound
from switchgear.schema.kinds import ClassificationRequest

if TYPE_CHECKING:  # types only: the routing config imports this package's config
    from switchgear.knowledge.embedder import Embedder
    from switchgear.trip import Answer, Trip

# Runs a request through the whole pipeline (here: the generate method's internal calls).
RunTrip = Callable[[Any], Awaitable["Answer"]]


class Classifier:
    def __init__(
        self,
        routes: Mapping[str, HasClassify],
        is_known: Callable[[str], bool],
        embedder: Callable[[], Embedder],
        run: RunTrip | None,
    ) -> None:
        self.routes = routes
        self.is_known = is_known
        self.embedder = embedder  # the knowledge index's, loaded on first use
        self.run = run
        self._indexes: dict[str, LabelIndex] = {}
        self._lock = threading.Lock()

    async def classify(self, trip: Trip) -> dict[str, Any]:
        request: ClassificationRequest = trip.request
        assert trip.admission is not None
        route = request.model
        config = self._config_of(route, trip.admission.identity.may_use)
        trip.route = route
        texts = request.inputs()
        if config.method == "embedding":
            scored, tokens = await asyncio.to_thread(self._embedded, route, config, texts)
            trip.prompt_tokens = tokens
            usage = {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens}
            data = [verdict(config, i, scores, ranked(config, scores)) for i, scores in scored]
        else:
            data, usage = await self._generated(route, config, texts)
        return {"object": "list", "model": route, "data": data, "usage": usage}

    def _config_of(self, name: str, may_use: Callable[[str], bool]) -> ClassifyConfig:
        route = self.routes.get(name)
        if route is not None and route.classify is not None:
            return route.classify
        if route is None and not self.is_known(name):
            raise NotFound(
                f"The model `{name}` does not exist or you do not have access to it.",
                param="model",
                code="model_not_found",
            )
        usable = [n for n, r in self.routes.items() if r.classify is not None and may_use(n)]
        listed = f" (classification routes: {', '.join(sorted(usable))})" if usable else ""
        raise InvalidRequest(
            f"`{name}` is not a classification route: it has no `classify:` section{listed}.",
            param="model",
            code="not_a_classifier",
        )

    # -- method: embedding ----------------------------------------------------------------

    def _embedded(
        self, route: str, config: ClassifyConfig, texts: list[str]
    ) -> tuple[list[tuple[int, dict[str, float]]], int]:
        """(index, scores) per input and the inputs' tokens (blocking)."""
        embedder = self.embedder()
        with self._lock:  # one build per route, however many requests arrive at once
            index = self._indexes.get(route)
            if index is None:
                index = self._indexes[route] = LabelIndex.build(config, embedder)
        scores = index.scores(embedder, texts)
        return list(enumerate(scores)), sum(embedder.count_tokens(texts))

    # -- method: generate -----------------------------------------------------------------

    async def _generated(
        self, route: str, config: ClassifyConfig, texts: list[str]
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        if self.run is None:
            raise GatewayError(
                "Classification by generation is not available in this gateway.",
                status=503,
                code="classifier_unavailable",
            )
        data: list[dict[str, Any]] = []
        prompt = completion = 0
        # One input at a time: each is a trip of its own, and the model answers one at a time.
        for i, text in enumerate(texts):
            answer = await self.run(choice_call(route, config, text))
            said = "".join([delta.text async for delta in answer.deltas()])
            used = answer.usage()
            prompt, completion = prompt + used.prompt_tokens, completion + used.completion_tokens
            chosen = read_choice(config, said)
            scores = {name: 1.0 if name in chosen else 0.0 for name in config.labels}
            data.append(verdict(config, i, scores, chosen))
        total = prompt + completion
        return data, {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": total,
        }


def ranked(config: ClassifyConfig, scores: dict[str, float]) -> list[str]:
    """The labels that pass the threshold, best first."""
    order = sorted(scores, key=lambda name: scores[name], reverse=True)
    threshold = config.threshold
    return [name for name in order if threshold is None or scores[name] >= threshold]


def verdict(
    config: ClassifyConfig, index: int, scores: dict[str, float], accepted: list[str]
) -> dict[str, Any]:
    """One input's item: `label` is the best accepted label, else the fallback (or null);
    `score` the best score whatever `label` ended up being, so a caller sees how near a
    fallback came; with `multi_label`, `labels` holds every accepted label."""
    labels = accepted if config.multi_label else accepted[:1]
    if len(labels) > 1 and config.fallback in labels and config.fallback not in config.labels:
        labels = [name for name in labels if name != config.fallback]  # "none" beside others
    label = labels[0] if labels else config.fallback
    item: dict[str, Any] = {
        "index": index,
        "label": label,
        "score": max(scores.values()),
        "scores": scores,
    }
    if config.multi_label:
        item["labels"] = labels or ([config.fallback] if config.fallback is not None else [])
    return item
