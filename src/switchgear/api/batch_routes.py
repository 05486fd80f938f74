"""OpenAI's Files and Batch APIs: `/v1/files` (upload, list, get, content, delete) and
`/v1/batches` (create, get, list, cancel). Each call is a trip (`files` / `batches` kinds);
the lines of a batch are trips of their own, run by `batch/runner.py`."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import msgspec
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from switchgear.api.auth import caller_secret
from switchgear.api.doors import answer_headers, gateway_of, read_request
from switchgear.schema.batches import BatchCreate, BatchRequest, FileRequest
from switchgear.schema.errors import GatewayError, InvalidRequest, PayloadTooLarge
from switchgear.trip import Answer

_encode = msgspec.json.encode
_FORM_SLACK = 64 * 1024  # the multipart framing and the `purpose` field around the file


def _json(answer: Answer) -> Response:
    assert answer.trip.body is not None
    body = _encode(answer.trip.body)
    return Response(body, media_type="application/json", headers=answer_headers(answer))


async def _run(request: Request, kind: Any) -> Answer:
    return await gateway_of(request).pipeline.run(kind, caller_secret(request))


async def upload_file(request: Request) -> Response:
    gateway = gateway_of(request)
    try:
        # Who is asking, before a large body is read (the trip checks again).
        gateway.governor.identify(caller_secret(request))
        form = await _form(request, gateway.config.batch.max_file_bytes + _FORM_SLACK)
        try:
            upload, purpose = form.get("file"), form.get("purpose")
            if not isinstance(upload, UploadFile):
                raise InvalidRequest("Missing required parameter: 'file'.", param="file")
            if not isinstance(purpose, str):
                raise InvalidRequest("Missing required parameter: 'purpose'.", param="purpose")
            name = upload.filename or "upload.jsonl"
            answer = await _run(request, FileRequest("upload", None, upload.file, name, purpose))
        finally:
            await form.close()
    except GatewayError as error:
        if error.recorded is None:  # refused before its trip began: a row all the same
            gateway.pipeline.record_rejected("files", error)
        raise
    return _json(answer)


async def _form(request: Request, most: int) -> Any:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidRequest("Upload the file as multipart/form-data `file` and `purpose`.")
    parser = MultiPartParser(request.headers, _capped(request.stream(), most), max_files=1)
    try:
        return await parser.parse()
    except MultiPartException as error:
        raise InvalidRequest(f"Unreadable multipart body: {error.message}") from error


async def _capped(stream: AsyncIterator[bytes], most: int) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > most:
            raise PayloadTooLarge(
                f"The file is larger than batch.max_file_bytes ({most - _FORM_SLACK} bytes).",
                code="file_too_large",
            )
        yield chunk


async def list_files(request: Request) -> Response:
    params = request.query_params
    purpose, after = params.get("purpose", ""), params.get("after")
    kind = FileRequest("list", purpose=purpose, limit=_limit(params, 10_000), after=after)
    return _json(await _run(request, kind))


async def get_file(request: Request) -> Response:
    return _json(await _run(request, FileRequest("get", request.path_params["file_id"])))


async def delete_file(request: Request) -> Response:
    return _json(await _run(request, FileRequest("delete", request.path_params["file_id"])))


async def file_content(request: Request) -> Response:
    answer = await _run(request, FileRequest("content", request.path_params["file_id"]))
    assert answer.trip.body is not None
    headers = answer_headers(answer)
    path = answer.trip.body["path"]
    return FileResponse(path, media_type="application/octet-stream", headers=headers)


async def create_batch(request: Request) -> Response:
    gateway = gateway_of(request)
    body = await read_request(request, gateway, BatchCreate, "batches")
    return _json(await _run(request, BatchRequest("create", body=body)))


async def get_batch(request: Request) -> Response:
    return _json(await _run(request, BatchRequest("get", request.path_params["batch_id"])))


async def cancel_batch(request: Request) -> Response:
    return _json(await _run(request, BatchRequest("cancel", request.path_params["batch_id"])))


async def list_batches(request: Request) -> Response:
    params = request.query_params
    kind = BatchRequest("list", limit=_limit(params, 100), after=params.get("after"))
    return _json(await _run(request, kind))


async def run_line(request: Request) -> Response:
    """A Ray worker's request to run one line here (`batch.executor: ray`); the line's own
    trip is ledgered, this call is not (it carries no caller, only the batch's line token)."""
    gateway = gateway_of(request)
    raw = request.path_params["line_no"]
    if not raw.isdigit():
        raise InvalidRequest("The line number must be a positive integer.", param="line")
    token = request.headers.get("x-switchgear-batch-token", "")
    done = await gateway.batch_lines.run(request.path_params["batch_id"], int(raw), token)
    return Response(_encode({"status": done}), media_type="application/json")


def _limit(params: Any, most: int) -> int:
    raw = params.get("limit", "20" if most == 100 else str(most))
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise InvalidRequest(f"'limit' must be an integer from 1 to {most}.", param="limit")
    return int(raw)


ROUTES = [
    Route("/v1/files", upload_file, methods=["POST"]),
    Route("/v1/files", list_files, methods=["GET"]),
    Route("/v1/files/{file_id}", get_file, methods=["GET"]),
    Route("/v1/files/{file_id}", delete_file, methods=["DELETE"]),
    Route("/v1/files/{file_id}/content", file_content, methods=["GET"]),
    Route("/v1/batches", create_batch, methods=["POST"]),
    Route("/v1/batches", list_batches, methods=["GET"]),
    Route("/v1/batches/{batch_id}", get_batch, methods=["GET"]),
    Route("/v1/batches/{batch_id}/cancel", cancel_batch, methods=["POST"]),
    Route("/v1/batches/{batch_id}/lines/{line_no}", run_line, methods=["POST"]),
]
