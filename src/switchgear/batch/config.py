"""`batch:` in the config: how big an input file may be, and how much of the gateway a batch
may take from interactive traffic."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec


class BatchConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # OpenAI's limits: 200 MB and 50,000 requests a file.
    max_file_bytes: Annotated[int, msgspec.Meta(gt=0)] = 200 * 1024 * 1024
    max_lines: Annotated[int, msgspec.Meta(gt=0)] = 50_000
    # Lines in flight at once, over all batches: what is left of the engines and upstreams
    # stays with interactive requests, which never wait behind a batch's queue.
    concurrency: Annotated[int, msgspec.Meta(gt=0)] = 4
    # Where lines run: in this process, or as Ray tasks on the cluster at `ray_address`, each
    # asking the gateway at `gateway_url` (a load balancer in front of the replicas) to run it.
    executor: Literal["in_process", "ray"] = "in_process"
    ray_address: str = "auto"
    gateway_url: str | None = None
    ray_retries: Annotated[int, msgspec.Meta(ge=0)] = 3
    line_timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 600.0

    def __post_init__(self) -> None:
        if self.executor == "ray" and not self.gateway_url:
            raise ValueError("`executor: ray` needs `gateway_url` (how Ray workers reach us)")
