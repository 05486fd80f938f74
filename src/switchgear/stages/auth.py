"""auth: who is calling, may they use what they asked for, are they within their limits and
budgets; and, once the trip has ended, what it cost them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

from switchgear.governance.governor import Forbidden, Governor
from switchgear.governance.keys import SYSTEM
from switchgear.ledger.writer import LedgerWriter
from switchgear.mcp.access import ToolAccess
from switchgear.routing.router import Router
from switchgear.schema.kinds import MCP_KINDS, InternalCall
from switchgear.schema.requests import ChatCompletionRequest, CompletionRequest
from switchgear.stages.base import StageBase
from switchgear.stages.context import StageContext
from switchgear.store.base import AdminEvent
from switchgear.trip import Trip

# Kinds whose `model` is a name the caller needs permission for (a listing checks per model).
_PERMISSION_OPTIONAL = frozenset(
    {"models", "search", "moderations", "responses.stored", *MCP_KINDS}
)
# Output tokens assumed for a budget reservation when the request sets no limit.
DEFAULT_OUTPUT_ESTIMATE = 1024


def output_tokens(request: Any) -> int:
    """The most output a request may ask for, as far as its fields tell."""
    if isinstance(request, InternalCall):
        request = request.chat
    if isinstance(request, ChatCompletionRequest):
        return request.output_limit() or DEFAULT_OUTPUT_ESTIMATE
    if isinstance(request, CompletionRequest):
        return (request.max_tokens or DEFAULT_OUTPUT_ESTIMATE) * len(request.prompts())
    return 0


class AuthStage(StageBase):
    name = "auth"
    kinds = None

    def __init__(
        self, governor: Governor, ledger: LedgerWriter, router: Router, tools: ToolAccess
    ) -> None:
        self.governor = governor
        self.ledger = ledger
        self.router = router
        self.tools = tools
        self._settling: set[asyncio.Task[None]] = set()

    async def enter(self, trip: Trip) -> None:
        request = trip.request
        tokens = trip.prompt_estimate = request.token_estimate()

        def estimate() -> float:
            """The most it could cost, held in the caller's budgets until it settles (only
            worked out for a caller that has a budget)."""
            return self.router.cost_ceiling(trip.model, tokens, output_tokens(request))

        if request.kind == "internal":
            # Charged to the caller it serves; it is part of that request, so it holds no
            # concurrency slot of its own.
            parent = trip.parent.admission if trip.parent is not None else None
            identity = parent.identity if parent is not None else SYSTEM
            trip.admission = await self.governor.admit_identity(
                trip.request_id, identity, tokens, nested=True, estimate=estimate
            )
        elif getattr(request, "on_behalf_of", None) is not None:
            # An MCP call the gateway makes inside a request it already admitted (a tool loop):
            # it counts against the caller's limits but holds no concurrency slot of its own.
            trip.admission = await self.governor.admit_identity(
                trip.request_id, request.on_behalf_of, tokens, nested=True
            )
        else:
            model = trip.model if request.kind not in _PERMISSION_OPTIONAL else None
            if trip.caller is None:  # preset for a batch's line: the batch's key
                trip.caller = self.governor.identify(trip.secret)
            trip.admission = await self.governor.admit_caller(
                trip.request_id, trip.caller, model, tokens, estimate
            )
        if request.kind == "mcp.tools.call":
            self._check_tool(trip)
        for warning in trip.admission.warnings:
            identity = trip.admission.identity
            self.ledger.record(
                AdminEvent(
                    time.time(),
                    identity.key_id or "anonymous",
                    "budget.warning",
                    trip.request_id,
                    {"budget": warning},
                )
            )

    def _check_tool(self, trip: Trip) -> None:
        assert trip.admission is not None
        identity = trip.admission.identity
        if not self.tools.allows(identity, trip.model):
            raise Forbidden(
                f"This key may not call the tool `{trip.model}` "
                f"(allowed: {self.tools.describe(identity)}).",
                code="tool_not_allowed",
                param="name",
            )

    def finish(self, trip: Trip, outcome: BaseException | None) -> None:
        if trip.admission is None:
            return
        tokens = trip.prompt_tokens + trip.completion_tokens
        # Settling must not delay the answer; `drain` awaits what is left at shutdown.
        self._background(self.governor.settle(trip.admission, tokens, trip.cost))

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    async def drain(self) -> None:
        if self._settling:
            await asyncio.gather(*self._settling, return_exceptions=True)


def build(context: StageContext) -> AuthStage:
    return AuthStage(
        context.governor, context.ledger, context.router, ToolAccess(context.config.mcp)
    )
