"""Mixed client load through the load balancer (chat, streamed chat, embeddings, models),
recording what each client saw: status, request id, and which replica haproxy used."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import httpx

from tests.replicas.haproxy import REPLICA_HEADER

Kind = Literal["chat", "stream", "embeddings", "models"]
ALL_KINDS: tuple[Kind, ...] = ("chat", "stream", "embeddings", "models")
CHAT = {
    "model": "gpt-fake",
    "messages": [{"role": "user", "content": "hello replicas"}],
    "max_tokens": 16,
}


@dataclass(slots=True)
class Outcome:
    key: str
    kind: Kind
    status: int | None  # None: the connection failed or a stream was cut before [DONE]
    request_id: str | None
    replica: str
    error_code: str | None = None
    after_kill: bool = False  # sent after the replica was killed
    exception: str = ""  # the client's exception, when there was one

    @property
    def answered(self) -> bool:
        return self.status == 200

    @property
    def failed(self) -> bool:
        """Neither an answer nor a refusal by a limit: what a user would call an error."""
        return self.status not in (200, 429)


async def send(client: httpx.AsyncClient, kind: Kind, key: str, secret: str) -> Outcome:
    """One request as an OpenAI client would send it; a stream counts only once [DONE]."""
    headers = {"authorization": f"Bearer {secret}"}
    response: httpx.Response | None = None
    try:
        if kind == "models":
            response = await client.get("/v1/models", headers=headers)
        elif kind == "embeddings":
            body = {"model": "embed-fake", "input": "hello replicas"}
            response = await client.post("/v1/embeddings", json=body, headers=headers)
        elif kind == "chat":
            response = await client.post("/v1/chat/completions", json=CHAT, headers=headers)
        else:
            stream = {**CHAT, "stream": True}
            request = client.build_request(
                "POST", "/v1/chat/completions", json=stream, headers=headers
            )
            response = await client.send(request, stream=True)
            try:
                done = False
                async for line in response.aiter_lines():
                    done = done or line.strip() == "data: [DONE]"
                if response.status_code == 200 and not done:
                    return _outcome(key, kind, response, status=None)
            finally:
                await response.aclose()
            return _outcome(key, kind, response)
    except httpx.HTTPError as error:
        if response is None:
            return Outcome(
                key, kind, None, None, "", exception=f"{type(error).__name__}: {error!r}"
            )
        cut = _outcome(key, kind, response, status=None)
        cut.exception = f"{type(error).__name__}: {error}"
        return cut
    if response.status_code != 200 and "json" in response.headers.get("content-type", ""):
        return _outcome(key, kind, response, code=response.json()["error"].get("code"))
    return _outcome(key, kind, response)


def _outcome(
    key: str,
    kind: Kind,
    response: httpx.Response,
    status: int | Literal["same"] | None = "same",
    code: str | None = None,
) -> Outcome:
    return Outcome(
        key,
        kind,
        response.status_code if status == "same" else status,
        response.headers.get("x-request-id"),
        response.headers.get(REPLICA_HEADER, ""),
        code,
    )


@dataclass
class Workload:
    """Workers per key, each cycling through its kinds until `stop` says so."""

    url: str
    secrets: dict[str, str]
    workers: Sequence[tuple[str, Sequence[Kind]]]
    outcomes: list[Outcome] = field(default_factory=list)
    in_flight: int = 0
    killed: bool = False
    in_flight_at_kill: int = 0

    def answered(self) -> int:
        return sum(1 for o in self.outcomes if o.answered)

    def kill(self, kill: Callable[[], None]) -> None:
        """Runs `kill` (a SIGKILL) with no await around it, so the in-flight count taken
        here is exactly what was in flight at that instant."""
        self.in_flight_at_kill = self.in_flight
        self.killed = True
        kill()

    async def run(self, stop: Callable[[Workload], bool]) -> None:
        limits = httpx.Limits(max_connections=len(self.workers) + 4)
        async with httpx.AsyncClient(base_url=self.url, timeout=30, limits=limits) as client:

            async def worker(key: str, kinds: Sequence[Kind]) -> None:
                turn = 0
                while not stop(self):
                    kind = kinds[turn % len(kinds)]
                    turn += 1
                    after_kill = self.killed
                    self.in_flight += 1
                    outcome = await send(client, kind, key, self.secrets[key])
                    self.in_flight -= 1
                    outcome.after_kill = after_kill
                    self.outcomes.append(outcome)
                    if outcome.status == 429:
                        await asyncio.sleep(0.05)  # a refused client backs off a little

            await asyncio.gather(*(worker(key, kinds) for key, kinds in self.workers))
