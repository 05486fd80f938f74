"""`batch:` in the config: how big an input file may be, and how much of the gateway a batch
may take from interactive traffic."""

from __future__ import annotations

from typing import Annotated

import msgspec


class BatchConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # OpenAI's limits: 200 MB and 50,000 requests a file.
    max_file_bytes: Annotated[int, msgspec.Meta(gt=0)] = 200 * 1024 * 1024
    max_lines: Annotated[int, msgspec.Meta(gt=0)] = 50_000
    # Lines in flight at once, over all batches: what is left of the engines and upstreams
    # stays with interactive requests, which never wait behind a batch's queue.
    concurrency: Annotated[int, msgspec.Meta(gt=0)] = 4
