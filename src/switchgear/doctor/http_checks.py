"""The checks over HTTP: each configured provider (a GET of its model list, which costs
nothing and needs the same key and URL as a request) and a running gateway's `/readyz`."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from switchgear.config import Config, ProviderConfig
from switchgear.doctor.findings import Finding, fail, ok, warn

PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class _Probe:
    url: str
    headers: dict[str, str]


async def check_providers(config: Config) -> list[Finding]:
    async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S) as client:
        checks = [
            _check_provider(client, config, name, settings)
            for name, settings in config.providers.items()
        ]
        return list(await asyncio.gather(*checks))


async def _check_provider(
    client: httpx.AsyncClient, config: Config, name: str, settings: ProviderConfig
) -> Finding:
    check = f"provider {name}"
    if settings.api_key_env and not settings.api_key():
        return fail(
            check,
            f"the API key variable ${settings.api_key_env} is not set",
            f"export {settings.api_key_env}=<the key for {settings.base_url}>",
        )
    try:
        key = settings.api_key()
    except OSError as error:
        return fail(
            check,
            f"cannot read the key file {settings.api_key_file}: {error.strerror or error}",
            f"put the key in {settings.api_key_file}, or correct providers.{name}.api_key_file",
        )
    probe = _models_probe(settings, key)
    try:
        response = await client.get(probe.url, headers=probe.headers)
    except httpx.HTTPError as error:
        return fail(
            check,
            f"nothing answers at {probe.url} ({_reason(error)})",
            f"start the server behind `{name}`, or correct providers.{name}.base_url "
            f"in {config.source}",
        )
    return _judge(check, config, name, settings, probe.url, response)


def _models_probe(settings: ProviderConfig, key: str | None) -> _Probe:
    """The provider's model list, with the headers its requests carry (same URL rules as the
    providers in `providers/`)."""
    from switchgear.providers.anthropic import DEFAULT_VERSION
    from switchgear.providers.openai_compat import AZURE_DEFAULT_API_VERSION

    base = settings.base_url.rstrip("/")
    headers = dict(settings.headers)
    if settings.kind == "anthropic":
        headers["anthropic-version"] = settings.api_version or DEFAULT_VERSION
        if key:
            headers["x-api-key"] = key
        return _Probe(f"{base}/models" if base.endswith("/v1") else f"{base}/v1/models", headers)
    if settings.kind == "azure_openai":
        if key:
            headers["api-key"] = key
        version = quote(settings.api_version or AZURE_DEFAULT_API_VERSION)
        return _Probe(f"{base}/openai/models?api-version={version}", headers)
    if key:
        headers["authorization"] = f"Bearer {key}"
    if settings.kind == "openai_compat":
        return _Probe(f"{base}/models", headers)
    return _Probe(base, headers)  # a plugin's kind: whether anything answers is all we know


def _judge(
    check: str,
    config: Config,
    name: str,
    settings: ProviderConfig,
    url: str,
    response: httpx.Response,
) -> Finding:
    status = response.status_code
    if status in (401, 403):
        where = f"${settings.api_key_env}" if settings.api_key_env else settings.api_key_file
        fix = (
            f"check the key in {where}"
            if where
            else f"this server wants a key: set providers.{name}.api_key_env"
        )
        return fail(check, f"{url} refused the key (HTTP {status}: {_message(response)})", fix)
    if status == 404:
        return warn(
            check,
            f"{url} answered 404: no model list there",
            f"check providers.{name}.base_url (OpenAI-compatible servers usually end in /v1)",
        )
    if status >= 400:
        return warn(
            check,
            f"{url} answered HTTP {status}: {_message(response)}",
            "see the provider's status page or logs",
        )
    if settings.kind == "openai_compat":
        missing = _unlisted_models(config, name, response)
        if missing:
            return warn(
                check,
                f"{url} answers, but does not list {', '.join(missing)}",
                "check upstream_model of the models served by " + f"`{name}`",
            )
    return ok(check, f"{url} answers (HTTP {status})")


def _unlisted_models(config: Config, name: str, response: httpx.Response) -> list[str]:
    """The upstream models the config sends to this provider that its list leaves out."""
    try:
        listed = {str(m["id"]) for m in response.json()["data"]}
    except (ValueError, KeyError, TypeError):
        return []  # not OpenAI's list shape: nothing to compare
    wanted = [m.upstream_model or m.id for m in config.models if m.provider == name]
    # Ollama lists `llama3.2:latest` and answers to `llama3.2`.
    return [w for w in wanted if w not in listed and f"{w}:latest" not in listed]


async def check_gateway(url: str) -> Finding:
    """A gateway that is not running is worth a warning, not a failure: doctor checks a
    setup before the first `serve` too."""
    check = "gateway"
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S) as client:
            response = await client.get(f"{url}/readyz")
    except httpx.HTTPError as error:
        return warn(
            check,
            f"no gateway answers at {url} ({_reason(error)})",
            "start one with `switchgear serve`, or pass --url",
        )
    if response.status_code == 200:
        return ok(check, f"{url} is ready")
    if response.status_code == 503:
        return warn(check, f"{url} is up, still loading models", "wait; its log names the model")
    return warn(
        check,
        f"{url}/readyz answered HTTP {response.status_code}: not a switchgear gateway?",
        "pass --url with the gateway's address",
    )


def _reason(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return f"no answer within {PROBE_TIMEOUT_S:.0f} s"
    # The async client reports a refused connection as "All connection attempts failed"; the
    # socket's own error, further down the chain, says which.
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno is not None:
            return os.strerror(cause.errno).lower()
        cause = cause.__cause__ or cause.__context__
    return str(error) or type(error).__name__


def _message(response: httpx.Response) -> str:
    try:
        text = str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        text = response.text
    return text.strip()[:200] or response.reason_phrase
