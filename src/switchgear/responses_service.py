"""The provider step of the stored-response kind: reads and deletes of the caller's own
Responses API answers (see `store/responses.py`)."""

from __future__ import annotations

import asyncio
from typing import Any

from switchgear.governance.keys import Identity
from switchgear.schema.errors import NotFound
from switchgear.schema.responses import StoredResponseRequest
from switchgear.store.responses import ResponseStore
from switchgear.trip import Trip


def owner_of(identity: Identity) -> str:
    """Who a stored response belongs to: the key that created it (all callers are one owner
    where keys are not in use)."""
    return identity.key_id or identity.name


def not_found(response_id: str, param: str | None = None) -> NotFound:
    return NotFound(f"Response with id '{response_id}' not found.", param=param)


class ResponseServices:
    def __init__(self, responses: ResponseStore) -> None:
        self.responses = responses

    def table(self) -> dict[str, Any]:
        return {StoredResponseRequest.kind: self.stored}

    async def stored(self, trip: Trip) -> dict[str, Any]:
        request: StoredResponseRequest = trip.request
        assert trip.admission is not None
        owner = owner_of(trip.admission.identity)
        trip.route = "responses"
        if request.action == "delete":
            deleted = await asyncio.to_thread(self.responses.delete, request.response_id, owner)
            if not deleted:
                raise not_found(request.response_id)
            return {"id": request.response_id, "object": "response", "deleted": True}
        stored = await asyncio.to_thread(self.responses.load, request.response_id, owner)
        if stored is None:
            raise not_found(request.response_id)
        if request.action == "get":
            return stored.body
        return _page(stored.input_items, request)


def _page(items: list[dict[str, Any]], request: StoredResponseRequest) -> dict[str, Any]:
    ordered = items if request.order == "asc" else items[::-1]
    if request.after is not None:
        ids = [item.get("id") for item in ordered]
        ordered = ordered[ids.index(request.after) + 1 :] if request.after in ids else []
    page = ordered[: request.limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0].get("id") if page else None,
        "last_id": page[-1].get("id") if page else None,
        "has_more": len(ordered) > len(page),
    }
