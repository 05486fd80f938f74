"""One YAML file, validated at start-up. Every error names the file, the line and the field."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import yaml

from switchgear.batch.config import BatchConfig
from switchgear.cache.config import CacheBackendsConfig
from switchgear.classify.config import problems as classify_problems
from switchgear.config_types import ANY_KEY, enum_message, fill_dict_keys
from switchgear.console_config import ConsoleConfig
from switchgear.governance.config import GovernanceConfig
from switchgear.guards.config import GuardsConfig
from switchgear.knowledge.config import KnowledgeConfig
from switchgear.ledger.retention import problems as retention_problems
from switchgear.mcp.config import McpConfig
from switchgear.mcp.config import problems as mcp_problems
from switchgear.plugins import registry
from switchgear.providers.config import (
    EMBEDDED,
    EMBEDDED_MODEL_ID,
    LOCAL_PROVIDER,
    ModelConfig,
    ProviderConfig,
    SamplingDefaults,
)
from switchgear.routing.config import (
    ResilienceConfig,
    RouteConfig,
    RouteRequirements,
    RouteTargetConfig,
)
from switchgear.templates.config import TemplateConfig
from switchgear.templates.config import problems as template_problems
from switchgear.tracing.config import TracingConfig


class ServerConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 8080
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024)] = 8 * 1024 * 1024
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Host names (the `Host` header) the gateway answers to. Empty: the loopback names when it
    # is bound to loopback (a DNS-rebinding page is refused), any name when bound elsewhere.
    allowed_hosts: list[str] = []
    # Browser origins (`https://app.example.com`) allowed to call /v1 (CORS). A page on any
    # other origin is refused; the admin API never answers another origin.
    cors_origins: list[str] = []
    # What one request may hold, checked before any model runs (413/400 names the limit).
    max_text_chars: Annotated[int, msgspec.Meta(ge=1)] = 2_000_000
    max_items: Annotated[int, msgspec.Meta(ge=1)] = 2048
    max_json_depth: Annotated[int, msgspec.Meta(ge=4, le=1000)] = 64
    # The HTTP edge: header count and size, and how long a slow client may take.
    max_headers: Annotated[int, msgspec.Meta(ge=8)] = 100
    max_header_bytes: Annotated[int, msgspec.Meta(ge=1024)] = 64 * 1024
    header_timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    body_timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 15.0  # the wait for each body piece


# The stages of every trip, in order (see `pipeline.py`); a plugin's stage is placed by naming
# it here. The built-in ones may not be left out or reordered.
DEFAULT_STAGES = [
    "auth", "template", "knowledge", "guards.in", "route", "cache", "guards.out", "ledger"
]  # fmt: skip


class PipelineConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    stages: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_STAGES))


class LedgerConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # How the usage ledger keeps the caller's `user` field: a keyed hash (`hash`, still groups
    # by user), the value itself (`raw`, only if the operator must), or nothing (`drop`).
    user: Literal["hash", "raw", "drop"] = "hash"


class ResponsesConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The Responses API's stored responses (`store: true`, the API's default), which hold
    the conversation as the caller sent it: `store: false` here keeps none, whatever the
    request asks; `retention_days` is how long one stays readable (OpenAI keeps 30)."""

    store: bool = True
    retention_days: Annotated[float, msgspec.Meta(gt=0)] = 30.0


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
    pipeline: PipelineConfig = msgspec.field(default_factory=PipelineConfig)
    ledger: LedgerConfig = msgspec.field(default_factory=LedgerConfig)
    mcp: McpConfig = msgspec.field(default_factory=McpConfig)  # see mcp/config.py
    responses: ResponsesConfig = msgspec.field(default_factory=ResponsesConfig)
    templates: dict[str, TemplateConfig] = {}  # prompt templates (see templates/config.py)
    batch: BatchConfig = msgspec.field(default_factory=BatchConfig)  # see batch/config.py
    tracing: TracingConfig = msgspec.field(default_factory=TracingConfig)  # tracing/config.py
    # Where response-cache entries live (routes opt in with `cache:`; see cache/config.py).
    response_cache: CacheBackendsConfig = msgspec.field(default_factory=CacheBackendsConfig)
    console: ConsoleConfig = msgspec.field(default_factory=ConsoleConfig)  # console_config.py
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
    try:
        config = msgspec.convert(data, Config, strict=True)
    except msgspec.ValidationError as error:
        raise _located_error(file, located, str(error), data=data) from error
    config.source = str(file)
    _check_semantics(config, file, located)
    _check_routes(config, file, located)
    for field_path, message in [
        *classify_problems(config.routes),
        *mcp_problems(config.mcp),
        *template_problems(config.templates, config.routes),
        *retention_problems(config.routes),
    ]:
        raise _error_at(file, located, field_path, message)
    _check_plugin_names(config, file, located)
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
_PATH_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+|\.\.\.)\]|\['([^']*)'\]")


def _located_error(
    file: Path,
    located: _Located,
    message: str,
    prefix: tuple[str | int, ...] = (),
    data: Any = None,
) -> ConfigError:
    match = _PATH_IN_MESSAGE.search(message)
    path: tuple[str | int, ...] = prefix
    if match:
        message = message[: match.start()]
        path = prefix + tuple(
            name or key or (ANY_KEY if index == "..." else int(index))
            for name, index, key in _PATH_PART.findall(match.group("path"))
        )
        if data is not None:
            path = fill_dict_keys(Config, data, path, message)
    unknown = re.match(r"Object contains unknown field `(.+)`", message)
    if unknown:
        path = (*path, unknown.group(1))
        message = "unknown field (check the spelling; see switchgear.example.yaml)"
    message = enum_message(Config, path, message)
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
        engines = registry().per_model_provider_kinds()
        if model.provider not in engines and model.provider not in config.providers:
            known = ", ".join([*engines, *config.providers])
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


def plugin_problems(config: Config) -> list[tuple[tuple[str | int, ...], str]]:
    """Names only the plugin registry can check (provider and backend kinds, entity types,
    stages); also called for configs built in code. Loads the installed plugins."""
    found = registry()
    out: list[tuple[tuple[str | int, ...], str]] = []
    remote = found.remote_provider_kinds()
    for name, provider in config.providers.items():
        if provider.kind not in remote:
            out.append(
                (
                    ("providers", name, "kind"),
                    f"unknown provider kind `{provider.kind}` (known: {', '.join(remote)})",
                )
            )
    stages = config.pipeline.stages
    for i, name in enumerate(stages):
        if name not in found.stages:
            known = ", ".join(sorted(found.stages))
            out.append((("pipeline", "stages", i), f"unknown stage `{name}` (known: {known})"))
    required = [n for n in stages if n in found.stages and found.stages[n].required]
    wanted = [n for n in DEFAULT_STAGES if found.stages.get(n) and found.stages[n].required]
    if required != wanted or len(set(stages)) != len(stages):
        out.append(
            (
                ("pipeline", "stages"),
                f"must hold each of {', '.join(wanted)} once, in that order",
            )
        )
    return out


def _check_plugin_names(config: Config, file: Path, located: _Located) -> None:
    for path, message in plugin_problems(config):
        raise _error_at(file, located, path, message)


def _check_routes(config: Config, file: Path, located: _Located) -> None:
    from switchgear.embeddings.local import builtin_names

    model_names = {m.id for m in config.models} | {a for m in config.models for a in m.aliases}
    model_names |= builtin_names(config.knowledge.embedding)  # a route may list them too
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


__all__ = [
    "DEFAULT_STAGES",
    "EMBEDDED",
    "EMBEDDED_MODEL_ID",
    "LOCAL_PROVIDER",
    "Config",
    "ConfigError",
    "LedgerConfig",
    "ModelConfig",
    "PipelineConfig",
    "ProviderConfig",
    "ResilienceConfig",
    "RouteConfig",
    "RouteRequirements",
    "RouteTargetConfig",
    "SamplingDefaults",
    "ServerConfig",
    "load_config",
    "plugin_problems",
]
