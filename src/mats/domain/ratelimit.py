"""Token-bucket rate limiting per key (a sender, a client address), kept in memory."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

_MAX_TRACKED_KEYS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated_at: datetime


class RateLimiter:
    """Allow ``per_minute`` requests per key, with bursts up to that many."""

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, per_minute: int, now: datetime) -> float | None:
        """Take one token; return ``None`` if allowed, else the seconds until one is free."""
        capacity = float(per_minute)
        refill_per_second = per_minute / 60.0
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                self._forget_idle(now)
                bucket = self._buckets[key] = _Bucket(capacity, now)
            elapsed = max(0.0, (now - bucket.updated_at).total_seconds())
            bucket.tokens = min(capacity, bucket.tokens + elapsed * refill_per_second)
            bucket.updated_at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return (1.0 - bucket.tokens) / refill_per_second

    def _forget_idle(self, now: datetime) -> None:
        # Buckets idle for a minute are full again, so dropping them changes nothing.
        if len(self._buckets) < _MAX_TRACKED_KEYS:
            return
        idle = [k for k, b in self._buckets.items() if (now - b.updated_at).total_seconds() > 60]
        for key in idle:
            del self._buckets[key]
