"""The cap on judge calls in flight per model, for the whole deployment.

With Redis configured the cap is shared by every process (leases in a sorted set, so a killed process's slots
expire instead of leaking); otherwise it holds per process. A limiter serves one judging session (one event loop)
and first takes one of the session's own slots for the model. Waiting for that needs no polling, and of the
callers holding one, only the first in line polls for the shared slot (the others wait for it, event-driven): a
session that cannot fill the cap alone then costs one poll per period, not one per waiting call, and none while
it alone fills the cap.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections import defaultdict
from contextlib import asynccontextmanager

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


class _SessionSlots:
    """The session's own share of the cap, per model: waiting for it is event-driven, not polled."""

    def __init__(self, limit: int):
        self.limit = limit
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._lines: dict[str, asyncio.Lock] = {}

    def first_in_line(self, name: str) -> asyncio.Lock:
        """Held by the one caller polling for the shared slot of `name`; the next in line takes it when it is done."""
        return self._lines.setdefault(name, asyncio.Lock())

    @asynccontextmanager
    async def held(self, name: str):
        """Takes a local slot for `name`; gives it back if the block fails (the shared slot was not taken)."""
        slots = self._slots.setdefault(name, asyncio.Semaphore(self.limit))
        await slots.acquire()
        try:
            yield
        except BaseException:
            slots.release()
            raise

    def release(self, name: str) -> None:
        self._slots[name].release()


class LocalLimiter:
    """Per process: shared by every thread and event loop of this process."""

    _lock = threading.Lock()
    _in_flight: defaultdict[str, int] = defaultdict(int)

    def __init__(self, limit: int):
        self.limit = limit
        self.session = _SessionSlots(limit)

    async def acquire(self, name: str) -> str:
        async with self.session.held(name), self.session.first_in_line(name):
            while True:
                with self._lock:
                    if self._in_flight[name] < self.limit:
                        self._in_flight[name] += 1
                        return name
                await asyncio.sleep(POLL_SECONDS)

    async def release(self, name: str, lease: str) -> None:
        with self._lock:
            self._in_flight[name] -= 1
        self.session.release(name)

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
        self.session = _SessionSlots(limit)

    @staticmethod
    def key(name: str) -> str:
        return f"aegis:judge:in-flight:{name}"

    async def acquire(self, name: str) -> str:
        lease = secrets.token_hex(8)
        async with self.session.held(name), self.session.first_in_line(name):
            while True:
                now = time.time()
                expires = now + self.lease_seconds
                args = [now, self.limit, expires, lease, int(self.lease_seconds * 1000) + 1000]
                if await self.script(keys=[self.key(name)], args=args):
                    return lease
                await asyncio.sleep(POLL_SECONDS)

    async def release(self, name: str, lease: str) -> None:
        try:
            await self.client.zrem(self.key(name), lease)
        finally:
            self.session.release(name)

    async def aclose(self) -> None:
        await self.client.aclose()
