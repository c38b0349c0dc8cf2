"""The cap on judge calls in flight per model, for the whole deployment.

With Redis configured the cap is shared by every process (leases in a sorted set, so a killed process's slots
expire instead of leaking); otherwise it holds per process. Acquiring polls: the pool that calls it never has
more waiters than its own concurrency, so the polling stays cheap.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections import defaultdict

POLL_SECONDS = 0.01

_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


class LocalLimiter:
    """Per process: shared by every thread and event loop of this process."""

    _lock = threading.Lock()
    _in_flight: defaultdict[str, int] = defaultdict(int)

    def __init__(self, limit: int):
        self.limit = limit

    async def acquire(self, name: str) -> str:
        while True:
            with self._lock:
                if self._in_flight[name] < self.limit:
                    self._in_flight[name] += 1
                    return name
            await asyncio.sleep(POLL_SECONDS)

    async def release(self, name: str, lease: str) -> None:
        with self._lock:
            self._in_flight[name] -= 1

    async def aclose(self) -> None:
        return None


class RedisLimiter:
    """Across processes: each call holds a lease that expires after `lease_seconds` if its holder dies."""

    def __init__(self, url: str, limit: int, lease_seconds: float):
        from redis import asyncio as aioredis

        self.limit = limit
        self.lease_seconds = lease_seconds
        self.client = aioredis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.script = self.client.register_script(_ACQUIRE)

    @staticmethod
    def key(name: str) -> str:
        return f"aegis:judge:in-flight:{name}"

    async def acquire(self, name: str) -> str:
        lease = secrets.token_hex(8)
        while True:
            now = time.time()
            expires = now + self.lease_seconds
            args = [now, self.limit, expires, lease, int(self.lease_seconds * 1000) + 1000]
            if await self.script(keys=[self.key(name)], args=args):
                return lease
            await asyncio.sleep(POLL_SECONDS)

    async def release(self, name: str, lease: str) -> None:
        await self.client.zrem(self.key(name), lease)

    async def aclose(self) -> None:
        await self.client.aclose()
