"""The `guards:` section of the config file. Every default works offline.

```yaml
guards:
  default: standard              # policy for routes and keys not listed below
  routes: {kids-chat: child_safety}
  keys: {app-analytics: strict}  # API key or app id -> policy
  policies:
    standard:
      pii: {action: pseudonymize, per_entity: {SECRET: block, CREDIT_CARD: redact}}
    child_safety:
      moderation: {backend: local, action: block, input: true, output: true}
  moderation_backends:
    local: {kind: local}
    judge: {kind: llama_guard, route: llama-guard}
    openai:
      kind: openai_compat
      base_url: "https://api.openai.com/v1"
      api_key_env: OPENAI_API_KEY
```
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from switchgear.plugins import registry

PiiAction = Literal["allow", "block", "redact", "pseudonymize", "route_local"]
Fraction = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Seconds = Annotated[float, msgspec.Meta(gt=0)]

MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


class PiiPolicy(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    action: PiiAction = "allow"
    # Overrides for single entity types, e.g. {SECRET: block, PERSON: pseudonymize}.
    per_entity: dict[str, PiiAction] = {}
    # Types to look for; empty means all of them (see `switchgear.guards.entities.ALL_TYPES`).
    entities: list[str] = []
    threshold: Fraction = 0.5
    # Run the name/address model (PERSON, ADDRESS); off = exact recognisers only (~1 ms).
    use_model: bool = True
    # Text beyond this many characters per request is not given to the model; the decision is
    # marked incomplete and the policy's `fail_open` decides whether the request goes on.
    model_max_chars: Annotated[int, msgspec.Meta(ge=0)] = 200_000
    # What the upstream gets for caller identifiers (`user`): `hash` (a keyed hash, stable per
    # user), `drop` (nothing), or `keep` (the value, rewritten like any other text).
    caller_ids: Literal["hash", "drop", "keep"] = "hash"
    # The answer side: personal data the model writes that was not in the request
    # (`redact` it as `[TYPE]`, or `block`: end the answer with finish_reason content_filter).
    output: Literal["off", "redact", "block"] = "off"

    def action_for(self, entity_type: str) -> str:
        return self.per_entity.get(entity_type, self.action)

    def enabled_types(self) -> tuple[str, ...] | None:
        """The types this policy looks for; None: every type the recognisers know."""
        return tuple(self.entities) if self.entities else None


class ModerationPolicy(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    backend: str | None = None  # a name under `moderation_backends`; None = no moderation
    # Categories that count for this policy; empty means all OpenAI categories.
    categories: list[str] = []
    threshold: Fraction = 0.5
    action: Literal["block", "flag"] = "block"
    input: bool = True
    output: bool = False


class InjectionPolicy(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    enabled: bool = False
    threshold: Fraction = 0.5
    action: Literal["block", "flag"] = "block"
    # Which messages to score: the user's, and tool results / retrieved documents.
    roles: list[Literal["user", "tool", "function", "system", "developer"]] = msgspec.field(
        default_factory=lambda: ["user", "tool"]
    )


class GuardPolicyConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pii: PiiPolicy = msgspec.field(default_factory=PiiPolicy)
    moderation: ModerationPolicy = msgspec.field(default_factory=ModerationPolicy)
    injection: InjectionPolicy = msgspec.field(default_factory=InjectionPolicy)
    # When a guard crashes or times out: False refuses the request (503 guard_unavailable),
    # True lets it through; the ledger records which.
    fail_open: bool = False
    timeout_s: Seconds = 5.0


class ModerationBackendConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # `local`, `llama_guard`, `openai_compat`, or a kind a plugin registers.
    kind: str = "local"
    route: str | None = None  # llama_guard: the route (or model) that serves Llama Guard
    special_tokens: bool = False  # llama_guard: wrap the prompt in Llama 3 header tokens
    base_url: str | None = None  # openai_compat: e.g. https://api.openai.com/v1
    api_key_env: str | None = None
    model: str = "omni-moderation-latest"
    timeout_s: Seconds = 10.0
    options: dict[str, Any] = {}  # for a plugin's backend kind


class GuardsConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    default: str = "off"
    policies: dict[str, GuardPolicyConfig] = msgspec.field(
        default_factory=lambda: {"off": GuardPolicyConfig()}
    )
    routes: dict[str, str] = {}  # route or model name -> policy name
    keys: dict[str, str] = {}  # API key id or app name -> policy name
    # `local` (the offline lexicon) always exists; name others here.
    moderation_backends: dict[str, ModerationBackendConfig] = {}
    # /v1/moderations without a `model` (or with an unknown one) uses this backend.
    moderation_endpoint_backend: str = "local"
    model_threads: Annotated[int, msgspec.Meta(ge=1)] = 1

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        out: list[str] = []
        names = set(self.policies)
        if self.default not in names:
            out.append(f"default policy `{self.default}` is not under policies")
        for where, table in (("routes", self.routes), ("keys", self.keys)):
            out += [
                f"{where}.{k}: unknown policy `{v}`" for k, v in table.items() if v not in names
            ]
        backends = set(self.backends())
        if self.moderation_endpoint_backend not in backends:
            out.append(f"moderation_endpoint_backend `{self.moderation_endpoint_backend}` unknown")
        found = registry()  # light: the plugins' names, not their code
        out += self.plugin_problems(found.entity_types(), set(found.moderation))
        for name, policy in self.policies.items():
            cats = sorted(set(policy.moderation.categories) - set(MODERATION_CATEGORIES))
            if cats:
                out.append(f"policies.{name}.moderation: unknown categories {', '.join(cats)}")
            backend = policy.moderation.backend
            if backend is not None and backend not in backends:
                out.append(f"policies.{name}.moderation.backend: unknown backend `{backend}`")
        for name, b in self.moderation_backends.items():
            if b.kind == "llama_guard" and not b.route:
                out.append(f"moderation_backends.{name}: llama_guard needs `route`")
            if b.kind == "openai_compat" and not b.base_url:
                out.append(f"moderation_backends.{name}: openai_compat needs `base_url`")
        return out

    def plugin_problems(self, entity_types: tuple[str, ...], backend_kinds: set[str]) -> list[str]:
        """Names that only the plugin registry can check: entity types and backend kinds."""
        out: list[str] = []
        for name, policy in self.policies.items():
            types = set(policy.pii.entities) | set(policy.pii.per_entity)
            bad = sorted(types - set(entity_types))
            if bad:
                out.append(f"policies.{name}.pii: unknown entity types {', '.join(bad)}")
        for name, backend in self.moderation_backends.items():
            if backend.kind not in backend_kinds:
                known = ", ".join(sorted(backend_kinds))
                out.append(f"moderation_backends.{name}: unknown kind `{backend.kind}` ({known})")
        return out

    def backends(self) -> dict[str, ModerationBackendConfig]:
        return {"local": ModerationBackendConfig(), **self.moderation_backends}

    def policy_for(self, route: str | None = None, key: str | None = None) -> str:
        """The key's policy wins over the route's, which wins over the default."""
        if key is not None and key in self.keys:
            return self.keys[key]
        if route is not None and route in self.routes:
            return self.routes[route]
        return self.default
