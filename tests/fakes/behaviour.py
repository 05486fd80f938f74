"""Fault injection and request recording shared by every fake upstream.

One `FakeBehaviour` is handed to a fake app and stays live: a test may change `mode`,
`fail_times` and the other knobs between requests, and read `requests` afterwards. The fake
runs on its own event loop thread, so the few read-modify-write steps take a lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

Mode = Literal["ok", "refuse", "hang", "error500", "rate_limit", "cut_stream", "garbage_sse"]
"""What the fake does with a request.

- ``ok``: answer normally.
- ``refuse``: a listening server cannot refuse a connection, so the fakes answer 501 with an
  explanation. To test a refused connection, point the client at `serve.closed_port_url()`.
- ``hang``: wait `hang_seconds` (or until the client disconnects), then answer normally.
- ``error500``: HTTP 500 with the provider's server-error body.
- ``rate_limit``: HTTP 429 with ``Retry-After: <retry_after>`` and the provider's error body.
- ``cut_stream``: a stream sends its first two content chunks, then the connection is closed
  mid-body (no final chunk, no ``[DONE]`` / ``message_stop``, no chunked-encoding terminator).
  A non-streaming request gets half of its JSON body before the same cut.
- ``garbage_sse``: a stream carries one ``data:`` line that is not JSON after its first content
  chunk, then continues normally. A non-streaming request gets a 200 whose body is not JSON.
"""


class RecordedRequest(TypedDict):
    """One request as it reached the fake, before authentication or fault injection."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # names lower-cased, as HTTP/1.1 treats them case-insensitively
    body: str
    json: Any  # the parsed body, or None when it was empty or not JSON


@dataclass
class FakeBehaviour:
    """Live knobs of a fake upstream. Every field may be changed while the fake is serving."""

    mode: Mode = "ok"
    fail_times: int = 0
    """Apply the fault to the next N requests only, then switch `mode` back to ``ok``.
    0 applies the fault to every request while `mode` is not ``ok``."""
    hang_seconds: float = 30.0
    retry_after: int = 1
    chunk_delay: float = 0.0
    """Seconds between streamed events, for tests that watch chunks arrive one by one."""
    api_key: str = "test-key"
    requests: list[RecordedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def take_fault(self) -> Mode:
        """The mode for the request being served; counts it against `fail_times`."""
        with self._lock:
            mode = self.mode
            if mode == "ok" or self.fail_times <= 0:
                return mode
            self.fail_times -= 1
            if self.fail_times == 0:
                # Reaching 0 must not flip into "always fail", which is what 0 means.
                self.mode = "ok"
            return mode

    def fail(self, mode: Mode, times: int = 0) -> None:
        """Set a fault in one step, so a concurrent request never sees half of the change."""
        with self._lock:
            self.mode = mode
            self.fail_times = times

    def reset(self) -> None:
        """Back to a healthy upstream with an empty request log; the key is kept."""
        with self._lock:
            self.mode = "ok"
            self.fail_times = 0
            self.requests.clear()
