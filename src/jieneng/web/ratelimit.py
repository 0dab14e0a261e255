"""An in-process rate limiter: one token bucket per key, thread-safe, bounded memory.

Each key (``login:<client ip>``, ``api:<token digest>``) has a bucket holding up
to ``limit`` tokens that refills at ``limit / window`` tokens per second; a
request takes one token, and a request finding less than one is refused with the
number of seconds until the next token (``Retry-After``). A burst of ``limit``
requests is allowed, then ``limit`` per ``window`` on average.

Memory is bounded: a bucket left alone for a whole ``window`` is full again,
which is the same as having no bucket, so such keys are dropped (oldest first,
on every call); and at most ``max_keys`` keys are kept (the least recently used
is dropped first — which only ever makes the limiter more lenient for that key).

The state lives in the process: several worker processes each count on their
own (a limit of N per process). That is enough to blunt password guessing and
runaway scripts; it is not a quota system.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """``limit`` requests per ``window`` seconds per key (token bucket)."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0 or max_keys < 1:
            raise ValueError("limit, window and max_keys must be positive")
        self.limit = limit
        self.window = float(window)
        self.max_keys = max_keys
        self._rate = limit / self.window  # tokens per second
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Take one token for ``key``: None when allowed, else whole seconds to wait (≥ 1)."""
        with self._lock:
            now = self._clock()
            self._evict_idle(now)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(float(self.limit), now)
                if len(self._buckets) > self.max_keys:
                    self._buckets.popitem(last=False)
            else:
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(float(self.limit), bucket.tokens + elapsed * self._rate)
                bucket.updated = now
                self._buckets.move_to_end(key)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return max(1, math.ceil((1.0 - bucket.tokens) / self._rate))

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)

    def _evict_idle(self, now: float) -> None:
        # keys are in least-recently-used order: stop at the first one still in use
        while self._buckets:
            key, bucket = next(iter(self._buckets.items()))
            if now - bucket.updated < self.window:
                break
            del self._buckets[key]


@dataclass(frozen=True, slots=True)
class Limiters:
    """The limiters of one app (``app.state.limiters``); None when limits are off."""

    login: RateLimiter | None
    api: RateLimiter | None


def client_ip(host: str | None) -> str:
    """The key part for a client address (the connection's peer, as the server saw it)."""
    return host or "unknown"
