"""A batch line as a door: its body decoded into the endpoint's request type, one trip through
the pipeline as the key that created the batch (door `batch.<kind>` in the ledger and the
metrics), and the answer in the shape that endpoint's HTTP door would have sent."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import msgspec

from switchgear.batch.lines import ENDPOINTS, decode_request
from switchgear.batch.runner import LineAnswer
from switchgear.governance.governor import Unauthorized
from switchgear.governance.keys import ADMIN, ANONYMOUS, Identity, KeyRing
from switchgear.schema.errors import GatewayError
from switchgear.schema.requests import ChatCompletionRequest, CompletionRequest
from switchgear.trip import Answer

if TYPE_CHECKING:
    from switchgear.config import ServerConfig

RunTrip = Callable[..., Awaitable[Answer]]
RecordRejected = Callable[[str, GatewayError], None]


class BatchDoor:
    def __init__(
        self, run: RunTrip, record_rejected: RecordRejected, keys: KeyRing, limits: ServerConfig
    ) -> None:
        """`run`: `Pipeline.run`; `record_rejected`: a ledger row for a line refused before
        its trip began (the key was revoked since the batch was created)."""
        self.run = run
        self.record_rejected = record_rejected
        self.keys = keys
        self.limits = limits

    def caller(self, owner: str) -> Identity | None:
        """The batch's owner as it is now: None once its key is revoked or gone."""
        if owner == ADMIN.name:
            return ADMIN
        if owner == ANONYMOUS.name:
            return ANONYMOUS
        found = self.keys.by_id(owner)
        return found if isinstance(found, Identity) else None

    async def run_line(self, owner: str, url: str, body: bytes) -> LineAnswer:
        into = ENDPOINTS[url]
        door = f"batch.{into.kind}"
        try:
            request = decode_request(body, into, self.limits)
            identity = self.caller(owner)
            if identity is None:
                refused = Unauthorized(
                    "The API key that created this batch is revoked or expired.",
                    code="invalid_api_key",
                )
                self.record_rejected(door, refused)
                raise refused
            answer = await self.run(request, None, door, identity)
            return LineAnswer(200, await _body_of(answer, request), answer.trip.request_id)
        except GatewayError as error:
            return LineAnswer(error.status, error.to_body(), None)


async def _body_of(answer: Answer, request: Any) -> dict[str, Any]:
    wire = _openai_format()
    created = int(time.time())
    if isinstance(request, ChatCompletionRequest):
        collected = await wire.collect(answer)
        return _decoded(wire.chat_completion_body(answer, collected, created))
    if isinstance(request, CompletionRequest):
        collected = await wire.collect(answer)
        echo = wire.echo_prefixes(request)
        return _decoded(wire.text_completion_body(answer, collected, created, echo))
    assert answer.body is not None
    return answer.body


def _openai_format() -> Any:
    """The HTTP door's own bodies (imported here: api/ depends on the config, which depends
    on this package's config)."""
    from switchgear.api import openai_format

    return openai_format


def _decoded(body: bytes) -> dict[str, Any]:
    decoded: dict[str, Any] = msgspec.json.decode(body)
    return decoded
