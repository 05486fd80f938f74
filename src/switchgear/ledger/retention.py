"""`routes.<r>.retention`: what the gateway keeps of a route's requests, and for how long.

```yaml
routes:
  private-assistant:
    targets: [default]
    retention: {store: hashed_user, expire_days: 30}
```

- `metadata` (the default): the usage row, with the caller's `user` as `ledger.user` says.
- `hashed_user`: the usage row, `user` always as a keyed hash (HMAC-SHA256 with the
  gateway's own secret), whatever `ledger.user` says.
- `none`: only what limits, budgets and cost need: counts, cost, key, team and app; no `user`.
- `full`: the usage row, and the request and answer text in `stored_content` until
  `expire_days` have passed (so `full` needs `expire_days`).

`expire_days` on any mode also bounds the usage rows: `switchgear purge` deletes older ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Literal, Protocol

import msgspec

StoreMode = Literal["none", "metadata", "hashed_user", "full"]
Problem = tuple[tuple[str | int, ...], str]
DAY_S = 86400.0


class RetentionPolicy(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    store: StoreMode = "metadata"
    expire_days: Annotated[float, msgspec.Meta(gt=0)] | None = None

    def as_dict(self) -> dict[str, object]:
        return {"store": self.store, "expire_days": self.expire_days}

    def expires_at(self, created_at: float) -> float | None:
        return None if self.expire_days is None else created_at + self.expire_days * DAY_S


DEFAULT_POLICY = RetentionPolicy()


class HasRetention(Protocol):
    @property
    def retention(self) -> RetentionPolicy | None: ...


def problems(routes: Mapping[str, HasRetention]) -> list[Problem]:
    out: list[Problem] = []
    for name, route in routes.items():
        policy = route.retention
        if policy is not None and policy.store == "full" and policy.expire_days is None:
            out.append(
                (
                    ("routes", name, "retention", "expire_days"),
                    "`store: full` keeps request and answer text, so it needs `expire_days` "
                    "(how many days to keep it)",
                )
            )
    return out


def policies(routes: Mapping[str, HasRetention]) -> dict[str, RetentionPolicy]:
    """Each route's policy, the default where it sets none."""
    return {name: route.retention or DEFAULT_POLICY for name, route in routes.items()}


def user_keeper(
    policy: RetentionPolicy, ledger_mode: str, hash_id: Callable[[str], str]
) -> Callable[[str], str | None]:
    """How a route's usage rows keep the caller's `user`."""
    if policy.store == "none" or (policy.store != "hashed_user" and ledger_mode == "drop"):
        return lambda user: None
    if policy.store == "hashed_user" or ledger_mode == "hash":
        return hash_id
    return lambda user: user


__all__ = ["DEFAULT_POLICY", "RetentionPolicy", "StoreMode", "policies", "problems", "user_keeper"]
