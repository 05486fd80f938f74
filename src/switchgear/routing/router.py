"""Resolves the name a client sent (a route, a model id or an alias) to an ordered plan of
targets that can serve this request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from switchgear.routing.config import ResilienceConfig, RouteConfig
from switchgear.routing.health import TargetHealth
from switchgear.routing.strategies import STRATEGIES, Weighted
from switchgear.routing.target import Target
from switchgear.schema.errors import GatewayError, InvalidRequest, NotFound

DIRECT_RETRIES = 1
_ANY_LANGUAGE: Mapping[str, frozenset[str]] = {}


@dataclass(slots=True, frozen=True)
class Needs:
    """What this request asks of a target."""

    tools: bool = False
    json_schema: bool = False
    prompt_tokens: int = 0
    personal_data: bool = False
    # Set by the privacy guard: only self-hosted targets may see this request.
    self_hosted_only: bool = False
    logprobs: bool = False
    n: int = 1  # choices per prompt
    # The prompt's language (ISO 639-1), detected only for a route that `require.language`;
    # None there when the detector is unsure (see routing/language.py).
    language: str | None = None


@dataclass(slots=True, frozen=True)
class RoutePlan:
    name: str
    targets: list[Target]
    retries: int
    self_hosted_only: bool


class Router:
    def __init__(
        self,
        targets: list[Target],
        routes: dict[str, RouteConfig],
        resilience: ResilienceConfig,
    ) -> None:
        self.targets = targets
        self.routes = routes
        self.resilience = resilience
        self._by_name: dict[str, Target] = {}
        for target in targets:
            self._by_name[target.model_id] = target
            for alias in target.aliases:
                self._by_name[alias] = target
        self.health = {
            t.model_id: TargetHealth(resilience.breaker_failures, resilience.breaker_cooldown_s)
            for t in targets
        }

    def names(self) -> list[str]:
        return sorted([*self._by_name, *self.routes])

    def find_model(self, name: str, may_use: Callable[[str], bool] = lambda _: True) -> Target:
        """The model called `name` (id or alias), if the caller may use it: a model it may not
        use is reported as missing, like one that does not exist."""
        target = self._by_name.get(name)
        if target is None or not visible(target, may_use):
            raise self._unknown(name, may_use)
        return target

    def first_target(self, name: str, may_use: Callable[[str], bool] = lambda _: True) -> Target:
        """The target a request to `name` tries first (its route's first target): whose
        tokenizer counts a prompt for that name."""
        route = self.routes.get(name)
        if route is None:
            return self.find_model(name, may_use)
        if not may_use(name):
            raise self._unknown(name, may_use)
        return self._by_name[route.target_list()[0].model]

    def cost_ceiling(self, name: str, prompt_tokens: int, output_tokens: int) -> float:
        """The most a request to `name` could cost on any of its targets (for budget
        reservations); 0 for a name that is not known (it will be refused anyway)."""
        route = self.routes.get(name)
        if route is not None:
            targets = [self._by_name[t.model] for t in route.target_list()]
        else:
            target = self._by_name.get(name)
            targets = [target] if target is not None else []
        return max((t.cost(prompt_tokens, output_tokens, 0.0) for t in targets), default=0.0)

    def select_route(
        self,
        name: str,
        needs: Needs,
        violation: Callable[[Target], GatewayError | None] = lambda t: None,
        languages: Mapping[str, frozenset[str]] = _ANY_LANGUAGE,
    ) -> RoutePlan:
        """`violation` is the refusal of the policy that keeps this caller from a target, if
        any (the registry's policies; see `governance.registry`). `languages`: the languages
        each model serves well, by model id (a model not in it, or with none: any)."""
        route = self.routes.get(name)
        if route is None:
            target = self._by_name.get(name)
            if target is None:
                raise self._unknown(name)
            refused = violation(target)
            if refused is not None:
                raise refused
            if needs.self_hosted_only and not target.self_hosted:
                raise _external_refused(name)
            return RoutePlan(
                name, [target], DIRECT_RETRIES, target.self_hosted or needs.self_hosted_only
            )
        allowed = [
            (self._by_name[t.model], t.weight)
            for t in route.target_list()
            if violation(self._by_name[t.model]) is None
        ]
        if not allowed:
            refused = violation(self._by_name[route.target_list()[0].model])
            assert refused is not None
            raise refused
        eligible = [(target, w) for target, w in allowed if _meets(target, route)]
        if not eligible:
            raise GatewayError(
                f"No target of route `{name}` meets its requirements.",
                status=503,
                code="no_eligible_target",
            )
        if route.require.language == "strict" and needs.language is not None:
            eligible = [(t, w) for t, w in eligible if _speaks(t, needs.language, languages)]
            if not eligible:
                raise _no_language_target(name, needs.language)
        capable = [(t, w) for t, w in eligible if _can_serve(t, needs)]
        if not capable:
            raise _incapable(name, needs)
        if needs.self_hosted_only:
            capable = [(t, w) for t, w in capable if t.self_hosted]
            if not capable:
                raise _external_refused(name)
        ordered = STRATEGIES[route.strategy](capable, self.health, needs.prompt_tokens)
        if route.require.language is not None and needs.language is not None:
            ordered = language_first(ordered, needs.language, languages)
        return RoutePlan(
            name, ordered, route.retries, route.require.self_hosted or needs.self_hosted_only
        )

    def _unknown(self, name: str, may_use: Callable[[str], bool] = lambda _: True) -> NotFound:
        # Lists only what this caller may use: a restricted key learns no other names.
        known = [n for n in self.names() if may_use(n)]
        listed = f" Known models and routes: {', '.join(known)}." if known else ""
        return NotFound(
            f"The model `{name}` does not exist or you do not have access to it.{listed}",
            param="model",
            code="model_not_found",
        )


def visible(target: Target, may_use: Callable[[str], bool]) -> bool:
    """A caller may see a model it may use by its id or by any of its aliases."""
    return may_use(target.model_id) or any(may_use(alias) for alias in target.aliases)


def _external_refused(name: str) -> GatewayError:
    return GatewayError(
        f"This request contains personal data and may only go to self-hosted models, but "
        f"`{name}` has no self-hosted target.",
        status=403,
        code="self_hosted_required",
    )


def _meets(target: Target, route: RouteConfig) -> bool:
    need = route.require
    return (
        (target.self_hosted or not need.self_hosted)
        and target.context_window >= need.min_context
        and (target.supports_tools or not need.tools)
        and (target.supports_json_schema or not need.json_schema)
    )


def _speaks(target: Target, language: str, languages: Mapping[str, frozenset[str]]) -> bool:
    """A model that names no languages serves any (`models[].languages`: empty = any), so a
    `strict` route of specialists plus one general model sends what no specialist reads to
    the general one, and refuses only when every target names languages and none is this."""
    served = languages.get(target.model_id)
    return not served or language in served


def language_first(
    ordered: list[Target], language: str, languages: Mapping[str, frozenset[str]]
) -> list[Target]:
    """The strategy's order, regrouped: the models that name this language, then those that
    name none (any language), then the rest, as fallbacks. Each group keeps its order."""

    def rank(target: Target) -> int:
        served = languages.get(target.model_id)
        return 0 if served and language in served else 1 if not served else 2

    return sorted(ordered, key=rank)  # stable: the strategy's order within each group


def _no_language_target(name: str, language: str) -> InvalidRequest:
    return InvalidRequest(
        f"No target of route `{name}` serves the prompt's language: it was detected as "
        f"`{language}`, and the route requires a matching target (`require.language: strict`"
        "). Write the prompt in a language the route serves, or send it to another model.",
        code="no_target_for_language",
    )


def _can_serve(target: Target, needs: Needs) -> bool:
    return (
        (target.supports_tools or not needs.tools)
        and (target.supports_json_schema or not needs.json_schema)
        and (target.serves_logprobs or not needs.logprobs)
        and (target.serves_n or needs.n <= 1)
    )


def _incapable(name: str, needs: Needs) -> InvalidRequest:
    """No target of the route can give what the request asks: which parameter, and how."""
    # (what, parameter, the model setting that declares it)
    wanted = [
        item
        for item, asked in (
            (("tools", "tools", "supports_tools"), needs.tools),
            (("json_schema", "response_format", "supports_json_schema"), needs.json_schema),
            (("logprobs", "logprobs", "supports_logprobs"), needs.logprobs),
            (("n > 1", "n", "supports_n"), needs.n > 1),
        )
        if asked
    ]
    setting = wanted[0][2]
    hint = f"add a target whose model has `{setting}: true` to the route, or send the request "
    hint += "to such a model"
    if needs.tools:
        hint += "; for structured output alone, `response_format` json_schema needs no tools"
    elif needs.logprobs or needs.n > 1:
        hint += " (OpenAI-compatible and Azure OpenAI models support it; Anthropic and local "
        hint += "models do not)"
    return InvalidRequest(
        f"No target of route `{name}` supports {' and '.join(w[0] for w in wanted)}: {hint}.",
        param=wanted[0][1],
        code="unsupported_parameter",
    )


__all__ = ["Needs", "RoutePlan", "Router", "Weighted"]
