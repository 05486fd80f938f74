"""The playground: one chat request sent through the gateway's own OpenAI door (the same
routes, pipeline, guards, limits and ledger as any client), with the key the operator pastes,
then the answer shown beside what the ledger recorded for it: target, cost, guard decisions."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchgear.console.web import changing_session, gateway_of, page_session, render, text_field
from switchgear.embeddings.local import LOCAL_KIND as EMBEDDER_KIND


def _served_names(request: Request) -> list[str]:
    """Every route and chat model name (embedding models answer another door)."""
    gateway = gateway_of(request)
    embedding = {m.id for m in gateway.config.models if m.kind == "embedding"}
    names = []
    for name in gateway.router.names():
        if name in gateway.router.routes:
            names.append(name)
            continue
        target = gateway.router.find_model(name)
        if target.provider_kind != EMBEDDER_KIND and target.model_id not in embedding:
            names.append(name)
    return names


async def playground_page(request: Request) -> Response:
    session = page_session(request)
    if isinstance(session, Response):
        return session
    return render(request, "playground.html", session, models=_served_names(request), result=None)


def _ledger_row(request: Request, request_id: str) -> dict[str, Any] | None:
    store = gateway_of(request).store

    def run(cursor: Any) -> Any:
        cursor.execute(
            store.sql(
                "SELECT target, served_model, status, http_status, prompt_tokens, "
                "completion_tokens, cost, latency_ms, guard FROM usage WHERE request_id = ?"
            ),
            (request_id,),
        )
        return cursor.fetchone()

    row = store.transaction(run)
    if row is None:
        return None
    names = (
        "target", "served_model", "status", "http_status", "prompt_tokens",
        "completion_tokens", "cost", "latency_ms", "guard",
    )  # fmt: skip
    found = dict(zip(names, row, strict=True))
    found["guard"] = json.loads(found["guard"]) if found["guard"] else []
    return found


async def send_chat(request: Request, model: str, prompt: str, key: str) -> dict[str, Any]:
    """The request through the gateway's routes (in process, over ASGI): the answer or the
    error the door gave, its headers, and the ledger's row for it."""
    headers = {"authorization": f"Bearer {key}"} if key else {}
    body = {"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": 64}
    # An unexpected failure inside becomes the door's own 500 body here, not a crash.
    transport = httpx.ASGITransport(app=request.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        reply = await client.post("/v1/chat/completions", json=body, headers=headers, timeout=300)
    try:
        payload = reply.json()
    except ValueError:
        payload = {"error": {"message": f"The gateway answered {reply.status_code}."}}
    result: dict[str, Any] = {
        "status": reply.status_code,
        "request_id": reply.headers.get("x-request-id"),
        "headers": {k: v for k, v in reply.headers.items() if k.startswith("x-switchgear-")},
    }
    if reply.status_code == 200:
        result["answer"] = payload["choices"][0]["message"].get("content") or ""
        result["usage"] = payload.get("usage") or {}
    else:
        error = payload.get("error") or {}
        result["error"] = {"message": error.get("message"), "code": error.get("code")}
    if result["request_id"]:
        await asyncio.to_thread(gateway_of(request).ledger.flush)
        result["ledger"] = await asyncio.to_thread(_ledger_row, request, result["request_id"])
    return result


async def playground_send(request: Request) -> Response:
    # Any signed-in user may try a model with a key they hold: it changes nothing in the
    # gateway, and the key's own limits and budgets apply.
    session, form = await changing_session(request, admin=False)
    model = text_field(form, "model", 200)
    prompt = text_field(form, "prompt", 20_000)
    key = text_field(form, "key", 200)
    result = await send_chat(request, model, prompt, key)
    partial = request.headers.get("hx-request") == "true"
    return render(
        request,
        "playground_result.html" if partial else "playground.html",
        session,
        models=_served_names(request),
        result=result,
        chosen=model,
        prompt=prompt,
    )


ROUTES = [
    Route("/console/playground", playground_page, methods=["GET"]),
    Route("/console/playground", playground_send, methods=["POST"]),
]
