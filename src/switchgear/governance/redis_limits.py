"""The same limits in Redis, for several gateways sharing the work.

One Lua script checks and records every scope of a request atomically on the Redis server,
so replicas never race each other past a limit.
"""

from __future__ import annotations

from typing import Any

from switchgear.governance.limits import (
    WINDOW_S,
    Permit,
    ScopeLimits,
    ratelimit_headers,
    refusal,
    shared_counters,
)

POOL_CONNECTIONS = 64
POOL_WAIT_S = 10.0

# KEYS: per scope, 3 keys: requests zset, tokens hash, in-flight counter.
# ARGV: request_id, tokens, window, then per scope: rpm, tpm, concurrency (-1 = none).
_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rid, tokens, window = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local n = #KEYS / 3
local usage = {}
for i = 0, n - 1 do
  local rk, tk, ck = KEYS[3*i+1], KEYS[3*i+2], KEYS[3*i+3]
  local rpm, tpm, conc = tonumber(ARGV[4+3*i]), tonumber(ARGV[5+3*i]), tonumber(ARGV[6+3*i])
  redis.call('ZREMRANGEBYSCORE', rk, '-inf', now - window)
  local stale = redis.call('ZRANGEBYSCORE', tk .. ':at', '-inf', now - window)
  for _, old in ipairs(stale) do redis.call('HDEL', tk, old) end
  redis.call('ZREMRANGEBYSCORE', tk .. ':at', '-inf', now - window)
  local count = redis.call('ZCARD', rk)
  if rpm >= 0 and count >= rpm then
    local oldest = redis.call('ZRANGE', rk, 0, 0, 'WITHSCORES')
    return {'rpm', i, rpm, count, tostring(window - (now - tonumber(oldest[2] or now)))}
  end
  local used = 0
  for _, v in ipairs(redis.call('HVALS', tk)) do used = used + tonumber(v) end
  if tpm >= 0 and used + tokens > tpm then
    local oldest = redis.call('ZRANGE', tk .. ':at', 0, 0, 'WITHSCORES')
    return {'tpm', i, tpm, used, tostring(window - (now - tonumber(oldest[2] or now)))}
  end
  local flying = tonumber(redis.call('GET', ck) or '0')
  if conc >= 0 and flying >= conc then
    return {'concurrency', i, conc, flying, '1'}
  end
  usage[i + 1] = {count, used}
end
for i = 0, n - 1 do
  local rk, tk, ck = KEYS[3*i+1], KEYS[3*i+2], KEYS[3*i+3]
  redis.call('ZADD', rk, now, rid)
  redis.call('HSET', tk, rid, tokens)
  redis.call('ZADD', tk .. ':at', now, rid)
  redis.call('INCR', ck)
  redis.call('EXPIRE', rk, window * 2)
  redis.call('EXPIRE', tk, window * 2)
  redis.call('EXPIRE', tk .. ':at', window * 2)
  redis.call('EXPIRE', ck, 3600)
end
if n > 0 then
  -- When the first scope's oldest request (and oldest tokens) leave the window.
  local ro = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local to = redis.call('ZRANGE', KEYS[2] .. ':at', 0, 0, 'WITHSCORES')
  return {'ok', usage[1][1] + 1, usage[1][2] + tokens,
          tostring(window - (now - tonumber(ro[2] or now))),
          tostring(window - (now - tonumber(to[2] or now)))}
end
return {'ok', 0, 0, '0', '0'}
"""

_SETTLE = """
local rid, tokens = ARGV[1], tonumber(ARGV[2])
for i = 0, #KEYS / 2 - 1 do
  local tk, ck = KEYS[2*i+1], KEYS[2*i+2]
  if redis.call('HEXISTS', tk, rid) == 1 then redis.call('HSET', tk, rid, tokens) end
  if tonumber(redis.call('GET', ck) or '0') > 0 then redis.call('DECR', ck) end
end
return 1
"""


def _seconds(value: Any) -> float:
    return float(value.decode() if isinstance(value, bytes) else value)


def _keys(scope: str) -> list[str]:
    return [f"sg:rpm:{scope}", f"sg:tpm:{scope}", f"sg:conc:{scope}"]


class RedisLimiter:
    def __init__(self, url: str) -> None:
        import redis.asyncio

        # Blocking: under a burst, requests wait for a connection instead of failing.
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            url, max_connections=POOL_CONNECTIONS, timeout=POOL_WAIT_S
        )
        self._redis: Any = redis.asyncio.Redis(connection_pool=pool)
        self.redis = self._redis
        self._admit = self._redis.register_script(_ADMIT)
        self._settle = self._redis.register_script(_SETTLE)

    async def admit(self, request_id: str, scopes: list[ScopeLimits], tokens: int) -> Permit:
        keys = [k for s in scopes for k in _keys(s.scope)]
        args: list[Any] = [request_id, tokens, WINDOW_S]
        for s in scopes:
            args += [_or_none(s.rpm), _or_none(s.tpm), _or_none(s.concurrency)]
        with shared_counters():
            result = await self._admit(keys=keys, args=args)
        verdict = result[0].decode() if isinstance(result[0], bytes) else result[0]
        if verdict != "ok":
            scope = scopes[int(result[1])]
            wait = float(result[4].decode() if isinstance(result[4], bytes) else result[4])
            raise refusal(scope.scope, verdict, int(result[2]), int(result[3]), wait)
        headers: dict[str, str] = {}
        if scopes:
            first = scopes[0]
            requests_used, tokens_used = int(result[1]), int(result[2])
            headers = ratelimit_headers(
                first,
                None if first.rpm is None else first.rpm - requests_used,
                None if first.tpm is None else first.tpm - tokens_used,
                _seconds(result[3]),
                _seconds(result[4]),
            )
        return Permit(request_id, scopes, tokens, headers)

    async def settle(self, permit: Permit, actual_tokens: int) -> None:
        keys = [k for s in permit.scopes for k in _keys(s.scope)[1:]]
        if keys:
            with shared_counters():
                await self._settle(keys=keys, args=[permit.request_id, actual_tokens])

    async def aclose(self) -> None:
        await self._redis.aclose()


def _or_none(value: int | None) -> int:
    return -1 if value is None else value
