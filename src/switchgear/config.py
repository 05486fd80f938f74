"""One YAML file, validated at start-up. Every error names the file, the line and the field."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import yaml

from switchgear.governance.config import GovernanceConfig
from switchgear.guards.config import GuardsConfig
from switchgear.knowledge.config import KnowledgeConfig, RouteKnowledge

EMBEDDED_MODEL_ID = "smollm2-135m-instruct"
EMBEDDED = "embedded"


class SamplingDefaults(msgspec.Struct, forbid_unknown_fields=True):
    """Used when a request leaves a field out (llama.cpp's own defaults)."""

    temperature: Annotated[float, msgspec.Meta(ge=0.0, le=2.0)] = 0.8
    top_p: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.95
    top_k: Annotated[int, msgspec.Meta(ge=0)] = 40
    min_p: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.05


LOCAL_PROVIDER = "local"


class ProviderConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A remote endpoint. Secrets come from an env var or a file, never from the YAML itself."""

    kind: Literal["openai_compat", "azure_openai", "anthropic"]
    base_url: str
    api_key_env: str | None = None
    api_key_file: str | None = None
    headers: dict[str, str] = {}
    timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 60.0
    connect_timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 5.0
    max_concurrency: Annotated[int, msgspec.Meta(ge=1)] = 64
    # Azure OpenAI's `api-version` query parameter; Anthropic's `anthropic-version` header.
    api_version: str | None = None
    # True for engines you run yourself (vLLM, Ollama, TGI, llama-server): data stays in house.
    self_hosted: bool = False

    def api_key(self) -> str | None:
        if self.api_key_env:
            return os.environ.get(self.api_key_env)
        if self.api_key_file:
            return Path(self.api_key_file).expanduser().read_text(encoding="utf-8").strip()
        return None


class ModelConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: Annotated[str, msgspec.Meta(min_length=1, pattern=r"^[A-Za-z0-9._:/@-]+$")]
    # `local` (in-process llama.cpp) or the name of an entry under `providers`.
    provider: str = LOCAL_PROVIDER
    # The model name the upstream expects (an Azure deployment name for azure_openai).
    upstream_model: str | None = None
    # Capabilities; None means: known for local models, assumed for remote ones.
    supports_tools: bool | None = None
    supports_json_schema: bool | None = None
    # Prices in currency units per million tokens, for the `cheapest` strategy and the ledger.
    input_price_per_mtok: Annotated[float, msgspec.Meta(ge=0)] = 0.0
    output_price_per_mtok: Annotated[float, msgspec.Meta(ge=0)] = 0.0
    # Self-hosted models: what the hardware costs per hour, charged by time spent answering.
    cost_per_hour: Annotated[float, msgspec.Meta(ge=0)] = 0.0
    # Registry: licence (SPDX id where one exists), its URL, notable terms, and more.
    licence: str | None = None
    licence_url: str | None = None
    licence_terms: list[str] = []
    modalities: list[str] = msgspec.field(default_factory=lambda: ["text"])
    region: str | None = None
    path: str = EMBEDDED
    aliases: list[str] = []
    context_window: Annotated[int, msgspec.Meta(ge=64)] = 8192
    threads: Annotated[int, msgspec.Meta(ge=1)] | None = None
    batch_size: Annotated[int, msgspec.Meta(ge=1)] = 512
    max_queue: Annotated[int, msgspec.Meta(ge=0)] = 64
    # Sequences decoded together in one batch (each with its own context window of KV cache).
    parallel: Annotated[int, msgspec.Meta(ge=1, le=64)] = 4
    # Prompt tokens evaluated per step while other sequences are answering.
    prefill_chunk: Annotated[int, msgspec.Meta(ge=16)] = 256
    flash_attention: bool = False
    sampling: SamplingDefaults = msgspec.field(default_factory=SamplingDefaults)
    owned_by: str = "switchgear"


class RouteTargetConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    model: str
    weight: Annotated[float, msgspec.Meta(gt=0)] = 1.0


class RouteRequirements(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Conditions every target of a route must meet; others are never called."""

    self_hosted: bool = False
    min_context: Annotated[int, msgspec.Meta(ge=0)] = 0
    tools: bool = False
    json_schema: bool = False


class RouteConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    strategy: Literal["priority", "weighted", "least_latency", "least_busy", "cheapest"] = (
        "priority"
    )
    targets: list[str | RouteTargetConfig]
    require: RouteRequirements = msgspec.field(default_factory=RouteRequirements)
    # Extra attempts on the same target after a retryable failure, before moving on.
    retries: Annotated[int, msgspec.Meta(ge=0, le=10)] = 1
    # Answer from a document collection, with numbered citations (see knowledge/config.py).
    knowledge: RouteKnowledge | None = None

    def target_list(self) -> list[RouteTargetConfig]:
        return [
            t if isinstance(t, RouteTargetConfig) else RouteTargetConfig(model=t)
            for t in self.targets
        ]


class ResilienceConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    backoff_base_s: Annotated[float, msgspec.Meta(ge=0)] = 0.1
    backoff_max_s: Annotated[float, msgspec.Meta(ge=0)] = 2.0
    # A Retry-After longer than this moves on to the next target instead of waiting.
    max_retry_after_s: Annotated[float, msgspec.Meta(ge=0)] = 5.0
    breaker_failures: Annotated[int, msgspec.Meta(ge=1)] = 3
    breaker_cooldown_s: Annotated[float, msgspec.Meta(gt=0)] = 30.0


class ServerConfig(msgspec.Struct, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 8080
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024)] = 8 * 1024 * 1024
    log_level: Literal["debug", "info", "warning", "error"] = "info"


class Config(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    server: ServerConfig = msgspec.field(default_factory=ServerConfig)
    data_dir: str | None = None
    # `postgresql://user@host/db` for Postgres; empty means SQLite in the data directory.
    database_url: str | None = None
    redis_url: str | None = None
    providers: dict[str, ProviderConfig] = {}
    routes: dict[str, RouteConfig] = {}
    resilience: ResilienceConfig = msgspec.field(default_factory=ResilienceConfig)
    models: list[ModelConfig] = msgspec.field(
        default_factory=lambda: [ModelConfig(id=EMBEDDED_MODEL_ID, aliases=["default"])]
    )
    governance: GovernanceConfig = msgspec.field(default_factory=GovernanceConfig)
    guards: GuardsConfig = msgspec.field(default_factory=GuardsConfig)
    knowledge: KnowledgeConfig = msgspec.field(default_factory=KnowledgeConfig)
    source: str = "<defaults>"

    def resolved_database_url(self) -> str | None:
        return os.environ.get("SWITCHGEAR_DATABASE_URL") or self.database_url

    def resolved_redis_url(self) -> str | None:
        return os.environ.get("SWITCHGEAR_REDIS_URL") or self.redis_url

    def resolved_data_dir(self) -> Path:
        """`SWITCHGEAR_DATA_DIR` wins over the file, which wins over the XDG default."""
        explicit = os.environ.get("SWITCHGEAR_DATA_DIR") or self.data_dir
        if explicit:
            return Path(explicit).expanduser()
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(xdg) / "switchgear"


class ConfigError(Exception):
    """A configuration problem, already phrased for the operator: `file:line: field: problem`."""


@dataclass(frozen=True)
class _Located:
    """Line numbers of each field, keyed by its path, e.g. ('models', 0, 'path')."""

    lines: dict[tuple[str | int, ...], int]

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def load_config(path: str | Path | None) -> Config:
    if path is None:
        return Config()
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{file}: cannot read config: {error.strerror or error}") from error
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(f"{where}: invalid YAML: {problem}") from error
    if root is None:
        return Config(source=str(file))
    lines: dict[tuple[str | int, ...], int] = {}
    data = _to_python(root, (), lines)
    located = _Located(lines)
    if not isinstance(data, dict):
        raise ConfigError(f"{file}:{root.start_mark.line + 1}: the config must be a mapping")
    providers = data.get("providers")
    if isinstance(providers, dict):
        # msgspec reports dict keys as `[...]`; check each entry alone to name the provider.
        for name, entry in providers.items():
            try:
                msgspec.convert(entry, ProviderConfig, strict=True)
            except msgspec.ValidationError as error:
                raise _located_error(file, located, str(error), ("providers", name)) from error
    try:
        config = msgspec.convert(data, Config, strict=True)
    except msgspec.ValidationError as error:
        raise _located_error(file, located, str(error)) from error
    config.source = str(file)
    _check_semantics(config, file, located)
    _check_routes(config, file, located)
    return config


def _to_python(node: yaml.Node, path: tuple[str | int, ...], lines: dict[Any, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _to_python(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return yaml.SafeLoader(" ").construct_object(node, deep=True)


_PATH_IN_MESSAGE = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_PATH_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['([^']*)'\]")


def _located_error(
    file: Path, located: _Located, message: str, prefix: tuple[str | int, ...] = ()
) -> ConfigError:
    match = _PATH_IN_MESSAGE.search(message)
    path: tuple[str | int, ...] = prefix
    if match:
        message = message[: match.start()]
        path = prefix + tuple(
            name or key or int(index)
            for name, index, key in _PATH_PART.findall(match.group("path"))
        )
    unknown = re.match(r"Object contains unknown field `(.+)`", message)
    if unknown:
        path = (*path, unknown.group(1))
        message = "unknown field (check the spelling; see switchgear.example.yaml)"
    return _error_at(file, located, path, message)


def _error_at(
    file: Path, located: _Located, path: tuple[str | int, ...], message: str
) -> ConfigError:
    line = located.line_of(path)
    where = f"{file}:{line}" if line is not None else str(file)
    field = _field_name(path) or "(top level)"
    return ConfigError(f"{where}: {field}: {message}")


def _field_name(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _check_semantics(config: Config, file: Path, located: _Located) -> None:
    for name, provider in config.providers.items():
        if name == LOCAL_PROVIDER:
            raise _error_at(file, located, ("providers", name), "`local` is a built-in provider")
        if not re.match(r"^https?://[^/\s]+", provider.base_url):
            raise _error_at(
                file,
                located,
                ("providers", name, "base_url"),
                f"`{provider.base_url}` is not an http:// or https:// URL",
            )
    if not config.models:
        raise _error_at(file, located, ("models",), "at least one model is required")
    seen: dict[str, tuple[str | int, ...]] = {}
    for i, model in enumerate(config.models):
        names: list[tuple[str, tuple[str | int, ...]]] = [(model.id, ("models", i, "id"))]
        names += [(alias, ("models", i, "aliases", j)) for j, alias in enumerate(model.aliases)]
        for name, path in names:
            if name in seen:
                raise _error_at(
                    file, located, path, f"`{name}` is already used by {_field_name(seen[name])}"
                )
            seen[name] = path
        if model.provider != LOCAL_PROVIDER and model.provider not in config.providers:
            known = ", ".join([LOCAL_PROVIDER, *config.providers])
            raise _error_at(
                file,
                located,
                ("models", i, "provider"),
                f"unknown provider `{model.provider}` (known: {known})",
            )
        if (
            model.provider == LOCAL_PROVIDER
            and model.path != EMBEDDED
            and not Path(model.path).expanduser().is_file()
        ):
            raise _error_at(file, located, ("models", i, "path"), f"no GGUF file at `{model.path}`")


def _check_routes(config: Config, file: Path, located: _Located) -> None:
    model_names = {m.id for m in config.models} | {a for m in config.models for a in m.aliases}
    for name, route in config.routes.items():
        if name in model_names:
            raise _error_at(
                file, located, ("routes", name), f"`{name}` is already a model id or alias"
            )
        if not route.targets:
            raise _error_at(file, located, ("routes", name, "targets"), "a route needs a target")
        for i, target in enumerate(route.target_list()):
            if target.model in config.routes:
                raise _error_at(
                    file,
                    located,
                    ("routes", name, "targets", i),
                    f"`{target.model}` is a route; routes list models, not other routes "
                    "(this also rules out cycles)",
                )
            if target.model not in model_names:
                raise _error_at(
                    file,
                    located,
                    ("routes", name, "targets", i),
                    f"unknown model `{target.model}` (known: {', '.join(sorted(model_names))})",
                )
        rerank = route.knowledge.rerank_route if route.knowledge else None
        if rerank is not None and rerank not in model_names | set(config.routes):
            raise _error_at(
                file,
                located,
                ("routes", name, "knowledge", "rerank_route"),
                f"unknown route or model `{rerank}`",
            )
