"""The request kinds of `/v1/files` and `/v1/batches`: trips like any other (admitted, rate
limited, ledgered), whose provider step reads or writes the caller's own files and batches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import msgspec


class BatchCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`POST /v1/batches`."""

    input_file_id: str
    endpoint: str
    completion_window: str = "24h"
    metadata: dict[str, str] | None = None


@dataclass(slots=True, frozen=True)
class FileRequest:
    kind: ClassVar[str] = "files"
    action: Literal["upload", "list", "get", "content", "delete"]
    file_id: str | None = None
    # upload: the file as the door spooled it (a binary file object), its name and purpose
    source: Any = None
    filename: str = ""
    purpose: str = ""
    limit: int = 10_000
    after: str | None = None

    def token_estimate(self) -> int:
        return 0


@dataclass(slots=True, frozen=True)
class BatchRequest:
    kind: ClassVar[str] = "batches"
    action: Literal["create", "get", "list", "cancel"]
    batch_id: str | None = None
    body: BatchCreate | None = None
    limit: int = 20
    after: str | None = None

    def token_estimate(self) -> int:
        return 0
