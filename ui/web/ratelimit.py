"""The per-user rate limit of the web app (chat, card buttons and the ``/ask`` API alike): a token bucket
per user name, and the friendly note shown for a turn over the limit."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

#: The start of the chat note for a turn refused by the rate limit (the app gives the message back).
RATE_LIMIT_MARK = "⏳ "


class RateLimiter:
    """A token bucket per key (a user): ``per_minute`` turns per minute on average, in bursts of at most
    ``burst`` (default: ``per_minute``) turns. ``per_minute <= 0`` disables the limit. Thread-safe; keeps at
    most ``max_keys`` buckets (the fullest, i.e. idlest, are dropped first: a full bucket is a new one)."""

    def __init__(
        self,
        per_minute: float,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, time of the last update)
        self._lock = threading.Lock()
        self.per_minute = 0.0
        self.capacity = 1.0
        self.configure(per_minute, burst)

    def configure(self, per_minute: float, burst: int | None = None) -> None:
        """Set a new limit (every bucket starts full again)."""
        with self._lock:
            self.per_minute = float(per_minute)
            self.capacity = float(burst if burst is not None else max(1, math.ceil(per_minute)))
            self._buckets.clear()

    @property
    def enabled(self) -> bool:
        """Whether any limit applies."""
        return self.per_minute > 0

    def _tokens(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - last) * self.per_minute / 60.0)

    def acquire(self, key: str) -> float:
        """Take one turn for ``key``: 0.0 when it may go ahead (the turn is counted), otherwise the seconds
        to wait before the next turn is allowed (nothing is counted)."""
        if not self.enabled:
            return 0.0
        with self._lock:
            now = self.clock()
            tokens = self._tokens(key, now)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) * 60.0 / self.per_minute
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self.max_keys:
                self._evict(now)
            return 0.0

    def _evict(self, now: float) -> None:
        """Drop the buckets that are full again (forgetting them changes nothing), then the fullest."""
        full = [k for k in self._buckets if self._tokens(k, now) >= self.capacity]
        for k in full:
            del self._buckets[k]
        if len(self._buckets) > self.max_keys:
            by_fill = sorted(self._buckets, key=lambda k: self._tokens(k, now), reverse=True)
            for k in by_fill[: len(self._buckets) - self.max_keys]:
                del self._buckets[k]


def rate_limit_message(wait_s: float) -> str:
    """The friendly note for a turn over the limit: nothing was run, the message can be sent again."""
    secs = max(1, math.ceil(wait_s))
    return (
        f"You're sending messages faster than I can take them. Nothing was lost: please send that again "
        f"in {secs} second{'s' if secs != 1 else ''}."
    )
