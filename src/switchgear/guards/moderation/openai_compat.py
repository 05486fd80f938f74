"""An OpenAI-compatible `/moderations` endpoint (OpenAI's, or a self-hosted twin)."""

from __future__ import annotations

import os
from typing import Any

import httpx

from switchgear.guards.moderation.base import BackendFailed, ModerationResult


class OpenAICompatModerator:
    name = "openai_compat"
    stream_chunk_chars = 400

    def __init__(
        self,
        base_url: str,
        *,
        api_key_env: str | None = None,
        model: str = "omni-moderation-latest",
        timeout_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/moderations"
        self.model = model
        self.model_name = model
        self._api_key_env = api_key_env
        self._timeout = timeout_s
        self._client = client

    async def moderate(self, inputs: list[str]) -> list[ModerationResult]:
        headers = {}
        key = os.environ.get(self._api_key_env) if self._api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        body = {"model": self.model, "input": inputs}
        try:
            if self._client is not None:
                response = await self._client.post(
                    self.url, json=body, headers=headers, timeout=self._timeout
                )
            else:
                async with httpx.AsyncClient(timeout=self._timeout) as client:
                    response = await client.post(self.url, json=body, headers=headers)
            response.raise_for_status()
            return parse_response(response.json(), len(inputs))
        except BackendFailed:
            raise
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            raise BackendFailed(f"moderation endpoint failed: {type(error).__name__}") from error


def parse_response(payload: Any, expected: int) -> list[ModerationResult]:
    results = payload["results"]
    if not isinstance(results, list) or len(results) != expected:
        raise BackendFailed("moderation endpoint answered the wrong number of results")
    out = []
    for r in results:
        scores = {str(k): float(v) for k, v in r.get("category_scores", {}).items()}
        flags = {str(k): bool(v) for k, v in r["categories"].items()}
        out.append(ModerationResult(scores, flags))
    return out
