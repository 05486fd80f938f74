"""Per-target health: a circuit breaker, a moving average of time to first token, and the
number of requests in flight. In-process state; each gateway replica learns on its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

_EWMA_WEIGHT = 0.2

# `switchgear_circuit_state`'s values: a gauge an alert can compare (`== 2`: open).
CIRCUIT_STATE_CODES = {"closed": 0, "half_open": 1, "open": 2}


@dataclass(slots=True)
class TargetHealth:
    failure_threshold: int
    cooldown_s: float
    consecutive_failures: int = 0
    opened_at: float | None = None
    probing: bool = False
    ttft_ewma_s: float | None = None
    in_flight: int = 0
    successes: int = 0
    failures: int = 0
    opened: int = 0  # times the circuit went from closed or half-open to open

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if time.monotonic() - self.opened_at >= self.cooldown_s:
            return "half_open"
        return "open"

    def seconds_until_probe(self) -> float:
        """How long until an open circuit lets a probe through (0 when it would now)."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.cooldown_s - (time.monotonic() - self.opened_at))

    def allows_attempt(self) -> bool:
        """Closed: yes. Open: no. Half-open: one probe at a time."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self.probing:
            self.probing = True
            return True
        return False

    def record_success(self, ttft_s: float) -> None:
        self.successes += 1
        self.consecutive_failures = 0
        self.opened_at = None
        self.probing = False
        if self.ttft_ewma_s is None:
            self.ttft_ewma_s = ttft_s
        else:
            self.ttft_ewma_s += _EWMA_WEIGHT * (ttft_s - self.ttft_ewma_s)

    def record_failure(self) -> None:
        self.failures += 1
        self.consecutive_failures += 1
        if self.probing or self.consecutive_failures >= self.failure_threshold:
            # A failure that lands while the circuit is already open (an attempt that began
            # before it opened) restarts the cooldown but is not a new opening.
            if self.opened_at is None or self.probing:
                self.opened += 1
            self.opened_at = time.monotonic()
        self.probing = False
