"""A request budget shared by every worker thread: a token bucket that follows GitLab's headers,
and a cap on the requests in flight at once (``--concurrency``, over every thread pool).

Each HTTP request (retries included) takes one token first. The bucket runs at ``--rate``
(unlimited by default, as self-managed GitLab is) and responses feed back: a 429 pauses every
thread until ``Retry-After`` (else ``RateLimit-Reset``, else 1 s); a ``RateLimit-Remaining``
below 10 % of ``RateLimit-Limit`` slows the bucket to spread what is left until the reset.
python-gitlab's own 429 handling stays as the backstop.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from hepci.errors import RemoteError

LOW_REMAINING = 0.1  # below this fraction of RateLimit-Limit, spread what is left
MIN_RATE = 0.2  # requests per second, never slower
MIN_SLEEP = 0.001  # seconds: every wait makes progress, even with rounding
EPSILON = 1e-9


class RateBudget:
    """Thread-safe token bucket with a global pause, plus request counters."""

    def __init__(
        self,
        rate: float | None,
        burst: int,
        *,
        max_wait: float = 300.0,
        in_flight: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.configured_rate = math.inf if rate is None else rate  # None: only what GitLab says
        self.rate = self.configured_rate
        self.burst = max(burst, 1)
        self.max_wait = max_wait
        self._clock, self._sleep = clock, sleep
        self._tokens = float(self.burst)
        self._last = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()  # by kind: rest, graphql
        self.statuses: Counter[int] = Counter()
        self.waited = 0.0
        # requests on the wire at once, across every thread pool (listing, GraphQL, REST)
        self._slots = threading.BoundedSemaphore(in_flight) if in_flight else None

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the ``in_flight`` slots while a request is on the wire."""
        if self._slots is None:
            yield
            return
        with self._slots:
            yield

    def acquire(self, kind: str = "rest") -> float:
        """Take one token, waiting as needed; give up after ``max_wait`` seconds.

        Returns the seconds spent waiting (a pause GitLab asked for, or the ``--rate``)."""
        started = self._clock()
        deadline = started + self.max_wait
        while True:
            with self._lock:
                now = self._clock()
                refill = (now - self._last) * self.rate if math.isfinite(self.rate) else self.burst
                self._tokens = min(self.burst, self._tokens + refill)
                self._last = now
                if now >= self._paused_until and self._tokens >= 1 - EPSILON:
                    self._tokens -= 1
                    self.requests[kind] += 1
                    return now - started
                wait = max(self._paused_until - now, (1 - self._tokens) / self.rate, MIN_SLEEP)
            if now + wait > deadline:
                raise RemoteError(
                    f"rate limited: would wait more than {self.max_wait:.0f} s for a request slot",
                    status=429,
                )
            self._sleep(min(wait, 1.0))
            with self._lock:
                self.waited += min(wait, 1.0)

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Adjust to a response's status and ``RateLimit-*``/``Retry-After`` headers."""
        now_wall = time.time()
        with self._lock:
            self.statuses[status] += 1
            if status == 429:
                pause = _seconds(headers.get("Retry-After"))
                if pause is None:
                    reset = _seconds(headers.get("RateLimit-Reset"))
                    pause = max(reset - now_wall, 1.0) if reset is not None else 1.0
                self._paused_until = max(self._paused_until, self._clock() + pause)
                self._tokens = 0.0
                return
            limit = _seconds(headers.get("RateLimit-Limit"))
            remaining = _seconds(headers.get("RateLimit-Remaining"))
            if limit is None or remaining is None or limit <= 0:
                return
            reset = _seconds(headers.get("RateLimit-Reset"))
            window = max((reset - now_wall) if reset is not None else 60.0, 1.0)
            if remaining < 1:  # nothing left in this window: wait for the reset
                self._paused_until = max(self._paused_until, self._clock() + window)
            elif remaining < limit * LOW_REMAINING:
                self.rate = max(min(self.configured_rate, remaining / window), MIN_RATE)
                self._tokens = min(self._tokens, 1.0)
            else:
                self.rate = self.configured_rate

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.requests.values())


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
