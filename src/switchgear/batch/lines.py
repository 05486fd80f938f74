"""A batch input file's lines (OpenAI's format: `{"custom_id", "method": "POST", "url",
"body"}`), checked as the file is uploaded: each line's body is decoded into the same request
type its door would decode, so a line that would be refused over HTTP is refused at upload,
with its number. Each line later becomes one trip (`batch/runner.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

import msgspec

from switchgear.schema.errors import GatewayError, InvalidRequest, PayloadTooLarge
from switchgear.schema.kinds import EmbeddingsRequest, ModerationRequest
from switchgear.schema.requests import ChatCompletionRequest, CompletionRequest

# The endpoints a batch may call, and the request type of each (the door's own).
ENDPOINTS: dict[str, type[Any]] = {
    "/v1/chat/completions": ChatCompletionRequest,
    "/v1/completions": CompletionRequest,
    "/v1/embeddings": EmbeddingsRequest,
    "/v1/moderations": ModerationRequest,
}
_MAX_LINE_BYTES = 16 * 1024 * 1024

if TYPE_CHECKING:
    from switchgear.config import ServerConfig


class BatchLine(msgspec.Struct, forbid_unknown_fields=True):
    custom_id: str
    method: str
    url: str
    body: msgspec.Raw


@dataclass(frozen=True, slots=True)
class CheckedLine:
    number: int  # 1-based, as an editor shows it
    custom_id: str
    url: str
    body: bytes


_line_decoder = msgspec.json.Decoder(BatchLine)


def check_line(raw: bytes, number: int, limits: ServerConfig) -> CheckedLine:
    """One line, checked as its door would check its body; errors name the line."""
    try:
        line = _line_decoder.decode(raw)
    except msgspec.ValidationError as error:
        raise _bad(number, f"{error} (each line is an object with `custom_id`, `method`, "
                           "`url` and `body`)") from error  # fmt: skip
    except msgspec.DecodeError as error:
        raise _bad(number, f"not JSON ({error})") from error
    if not line.custom_id:
        raise _bad(number, "`custom_id` is empty")
    if line.method != "POST":
        raise _bad(number, f"`method` must be POST, not {line.method!r}")
    into = ENDPOINTS.get(line.url)
    if into is None:
        raise _bad(number, f"`url` {line.url!r} is not one of {', '.join(ENDPOINTS)}")
    body = bytes(line.body)
    try:
        request = decode_request(body, into, limits)
    except GatewayError as error:
        raise _bad(number, f"body: {error.message}") from error
    if getattr(request, "stream", False):
        raise _bad(number, "body: `stream` is not supported in a batch")
    return CheckedLine(number, line.custom_id, line.url, body)


def decode_request(body: bytes, into: type[Any], limits: ServerConfig) -> Any:
    # The doors' own decoding and caps (imported here: api/ imports the config, which
    # imports this package's config).
    from switchgear.api.body import check_input_size, decode_body

    request = decode_body(body, into, limits.max_json_depth)
    check_input_size(request, limits.max_text_chars, limits.max_items)
    return request


def copy_checked(
    source: BinaryIO, sink: BinaryIO, limits: ServerConfig, max_lines: int, max_bytes: int
) -> int:
    """Copies a batch input file line by line, checking each; returns the number of lines.
    Raises `InvalidRequest` naming the first bad line (and nothing is kept)."""
    seen: set[str] = set()
    count = size = 0
    for number, raw in enumerate(_lines(source), start=1):
        size += len(raw)
        if size > max_bytes:
            raise PayloadTooLarge(
                f"The file is larger than {max_bytes} bytes (batch.max_file_bytes).",
                code="file_too_large",
            )
        if not raw.strip():
            continue
        checked = check_line(raw, number, limits)
        if checked.custom_id in seen:
            raise _bad(number, f"`custom_id` {checked.custom_id!r} is used by an earlier line")
        seen.add(checked.custom_id)
        count += 1
        if count > max_lines:
            raise _bad(number, f"a batch holds at most {max_lines} requests (batch.max_lines)")
        sink.write(raw.rstrip(b"\r\n") + b"\n")
    if count == 0:
        raise InvalidRequest("The file holds no requests.", param="file", code="invalid_file")
    return count


def _lines(source: BinaryIO) -> Any:
    while True:
        raw = source.readline(_MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > _MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise InvalidRequest(
                f"A line is longer than {_MAX_LINE_BYTES} bytes.",
                param="file",
                code="invalid_file",
            )
        yield raw


def read_checked(source: BinaryIO) -> list[CheckedLine]:
    """A stored input file's lines (checked at upload), for a new batch."""
    out = []
    for number, raw in enumerate(_lines(source), start=1):
        line = _line_decoder.decode(raw)
        out.append(CheckedLine(number, line.custom_id, line.url, bytes(line.body)))
    return out


def _bad(number: int, problem: str) -> InvalidRequest:
    return InvalidRequest(f"Line {number}: {problem}.", param="file", code="invalid_file")
