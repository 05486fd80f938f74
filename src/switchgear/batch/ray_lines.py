"""`batch.executor: ray`: each line is a Ray task on the cluster at `batch.ray_address`, which
asks a gateway (at `batch.gateway_url`, a load balancer in front of the replicas) to run that
line: `POST /v1/batches/{id}/lines/{n}` with the batch's line token. The gateway that takes it
runs the line as one trip through its pipeline, as the batch's key, and writes the result
(once: a line that already has one is not run again, so Ray's retries are safe). Ray spreads
the lines over its workers and retries a worker that died; the gateways do the work.

Ray workers need this package importable (the same image as the gateway)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import threading
import urllib.request
from typing import Any

TOKEN_SECRET = "batch_line_key"  # the gateway secret the line tokens are keyed with


def line_token(secret: str, batch_id: str) -> str:
    """The bearer of a batch's line requests (keyed with a secret every replica shares)."""
    return hmac.new(secret.encode(), batch_id.encode(), hashlib.sha256).hexdigest()


def post_line(gateway_url: str, batch_id: str, line_no: int, token: str, timeout: float) -> int:
    """On a Ray worker: asks a gateway to run one line; its HTTP status."""
    request = urllib.request.Request(
        f"{gateway_url.rstrip('/')}/v1/batches/{batch_id}/lines/{line_no}",
        data=json.dumps({}).encode(),
        headers={"content-type": "application/json", "x-switchgear-batch-token": token},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        status: int = response.status
        return status


class RayLines:
    def __init__(
        self, address: str, gateway_url: str, secret: str, retries: int, timeout_s: float
    ) -> None:
        self.address = address
        self.gateway_url = gateway_url
        self.secret = secret
        self.retries = retries
        self.timeout_s = timeout_s
        self._remote: Any = None
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        """Connects to the cluster once (blocking: called in a thread)."""
        with self._lock:
            if self._remote is None:
                import ray

                if not ray.is_initialized():
                    ray.init(address=self.address, logging_level=logging.ERROR, log_to_driver=False)
                self._remote = ray.remote(max_retries=self.retries, retry_exceptions=True)(
                    post_line
                )
            return self._remote

    async def execute(
        self, batch_id: str, owner: str, url: str, line_no: int, custom_id: str, body: bytes
    ) -> None:
        remote = await asyncio.to_thread(self._connect)
        token = line_token(self.secret, batch_id)
        status = await remote.remote(self.gateway_url, batch_id, line_no, token, self.timeout_s)
        if status >= 300:
            raise RuntimeError(f"the gateway answered {status} for line {line_no}")
