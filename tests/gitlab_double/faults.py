"""Fault and latency injection, rate limiting, and the request log.

Everything is seeded: the same :class:`Faults` seed gives the same latencies and the same faulty
requests for the same request sequence. Tests change a running double through ``double.faults``
(thread safe) and read ``double.stats``.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field

OK, DROP, SLOW = "ok", "drop", "slow"


@dataclass
class Latency:
    """Per-request delay: ``fixed`` seconds, or ``uniform`` in [low, high], or ``lognormal``.

    For ``lognormal``, ``low`` is the median in seconds and ``high`` the sigma of log(delay).
    """

    kind: str = "fixed"
    low: float = 0.0
    high: float = 0.0

    def sample(self, rng: random.Random) -> float:
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high)
        if self.kind == "lognormal":
            return rng.lognormvariate(math.log(max(self.low, 1e-6)), self.high)
        return self.low


@dataclass
class RateLimit:
    """GitLab's fixed-window user/IP limit: ``limit`` requests per ``period`` seconds per token."""

    limit: int
    period: float = 60.0


@dataclass
class Decision:
    outcome: str  # ok | drop | slow | an HTTP status as text ("500")
    delay: float
    limited: bool
    headers: dict[str, str]


@dataclass
class Faults:
    """Injection settings. ``error_rate``/``drop_rate``/``slow_rate`` are seeded fractions;
    ``script`` is a queue of outcomes forced on the next requests ("503", "drop", "slow", "ok");
    ``only`` restricts faults (not latency) to route templates such as ``GET /groups/:id``."""

    seed: int = 0
    latency: Latency = field(default_factory=Latency)
    rate_limit: RateLimit | None = None
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    drop_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 5.0
    only: frozenset[str] | None = None
    script: deque[str] = field(default_factory=deque)
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def configure(self, **changes: object) -> None:
        """Change settings on a running double (``seed`` also reseeds the generator)."""
        with self._lock:
            for key, value in changes.items():
                if key.startswith("_") or not hasattr(self, key):
                    raise AttributeError(f"unknown fault setting: {key}")
                setattr(self, key, value)
            if "seed" in changes:
                self._rng = random.Random(self.seed)
            if "rate_limit" in changes:
                self._windows.clear()

    def clear(self) -> None:
        """Back to no faults and no latency (the seed and the generator are kept)."""
        self.configure(
            latency=Latency(), rate_limit=None, error_rate=0.0, error_statuses=(500, 502, 503),
            drop_rate=0.0, slow_rate=0.0, slow_seconds=5.0, only=None, script=deque(),
        )  # fmt: skip

    def decide(self, route: str, key: str, now: float) -> Decision:
        with self._lock:
            delay = self.latency.sample(self._rng)
            headers, limited = self._rate(key, now)
            if limited:
                return Decision("429", delay, True, headers)
            outcome = OK
            if self.only is None or route in self.only:
                outcome = self.script.popleft() if self.script else self._draw()
            return Decision(outcome, delay, False, headers)

    def _draw(self) -> str:
        roll = self._rng.random()
        if roll < self.error_rate:
            return str(self._rng.choice(self.error_statuses))
        roll -= self.error_rate
        if roll < self.drop_rate:
            return DROP
        roll -= self.drop_rate
        if roll < self.slow_rate:
            return SLOW
        return OK

    def _rate(self, key: str, now: float) -> tuple[dict[str, str], bool]:
        rule = self.rate_limit
        if rule is None:
            return {}, False
        start, used = self._windows.get(key, (now, 0))
        if now >= start + rule.period:
            start, used = now, 0
        used += 1
        self._windows[key] = (start, used)
        reset = start + rule.period
        headers = {
            "RateLimit-Limit": str(rule.limit),
            "RateLimit-Observed": str(min(used, rule.limit + 1)),
            "RateLimit-Remaining": str(max(rule.limit - used, 0)),
            "RateLimit-Reset": str(math.ceil(reset)),
            "RateLimit-ResetTime": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(reset)),
        }
        if used > rule.limit:
            headers["Retry-After"] = str(max(1, math.ceil(reset - now)))
            return headers, True
        return headers, False


@dataclass(frozen=True)
class RequestRecord:
    method: str
    route: str  # "GET /projects/:id/repository/files/:file_path/raw"
    path: str
    status: int  # 0 for a dropped connection
    outcome: str
    started: float
    duration: float


class Stats:
    """Request log and counters by route, readable and resettable from tests."""

    def __init__(self, keep: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._log: deque[RequestRecord] = deque(maxlen=keep)
        self._counts: Counter[str] = Counter()
        self._statuses: Counter[int] = Counter()

    def record(self, rec: RequestRecord) -> None:
        with self._lock:
            self._log.append(rec)
            self._counts[rec.route] += 1
            self._statuses[rec.status] += 1

    @property
    def log(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def statuses(self) -> dict[int, int]:
        with self._lock:
            return dict(self._statuses)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def reset(self) -> None:
        with self._lock:
            self._log.clear()
            self._counts.clear()
            self._statuses.clear()
