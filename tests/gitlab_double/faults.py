"""Fault and latency injection, rate limiting, hostile answers, and the request log.

Everything is seeded: the same :class:`Faults` seed gives the same latencies and the same faulty
requests for the same request sequence. Tests change a running double through ``double.faults``
(thread safe) and read ``double.stats``.

Rate limits answer as GitLab does. ``rate_limit`` is a Rack::Attack user/IP throttle: its 429
("Retry later") carries ``Retry-After`` and the ``RateLimit-*`` headers, and unthrottled
answers carry ``RateLimit-*`` only with ``rate_headers_always`` (GitLab.com and the
``rate_limiting_headers_for_unthrottled_requests`` flag of 18.6+). ``endpoint_limits`` are
``Gitlab::ApplicationRateLimiter`` limits of one route (Projects, Groups, Users APIs): a JSON
429 with ``Retry-After`` only (GitLab 18.5+; none before), never ``RateLimit-*``.

Hostile answers, for the routes in ``only`` and paths matching ``only_paths``: a redirect to
``redirect_to`` (``redirect_status``), a body of ``huge_body`` bytes generated lazily (with a
``Content-Length``, or chunked with ``huge_chunked``), and pagination that never ends
(``page_loop``: "cycle" serves the list round and round as full pages with a next page
always; "link-back" points the last page's next link back to page 1) or ignores ``per_page``
(``page_size``).
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field

OK, DROP, SLOW = "ok", "drop", "slow"
REDIRECT, HUGE = "redirect", "huge"


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
    retry_after: bool = True  # ApplicationRateLimiter before GitLab 18.5 sent no Retry-After


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
    only_paths: str | None = None  # a regex searched in the request path
    script: deque[str] = field(default_factory=deque)
    rate_headers_always: bool = False
    endpoint_limits: dict[str, RateLimit] = field(default_factory=dict)  # route -> limit
    redirect_to: str | None = None  # base URL: Location = base + the request's path and query
    redirect_status: int = 302
    huge_body: int = 0  # bytes
    huge_chunked: bool = False
    page_size: int | None = None
    page_loop: str | None = None  # cycle | link-back
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
            if "rate_limit" in changes or "endpoint_limits" in changes:
                self._windows.clear()

    def clear(self) -> None:
        """Back to no faults and no latency (the seed and the generator are kept)."""
        self.configure(
            latency=Latency(), rate_limit=None, error_rate=0.0, error_statuses=(500, 502, 503),
            drop_rate=0.0, slow_rate=0.0, slow_seconds=5.0, only=None, only_paths=None,
            script=deque(), rate_headers_always=False, endpoint_limits={}, redirect_to=None,
            redirect_status=302, huge_body=0, huge_chunked=False, page_size=None,
            page_loop=None,
        )  # fmt: skip

    def targets(self, route: str, path: str = "") -> bool:
        """Whether faults apply to this request (``only`` and ``only_paths``)."""
        if self.only is not None and route not in self.only:
            return False
        return self.only_paths is None or re.search(self.only_paths, path) is not None

    def decide(self, route: str, key: str, now: float, path: str = "") -> Decision:
        with self._lock:
            delay = self.latency.sample(self._rng)
            headers, limited = self._rate(key, now)
            if limited:
                return Decision("429", delay, True, headers)
            endpoint = self.endpoint_limits.get(route)
            if endpoint is not None:
                retry_after, limited = self._window(f"{route}|{key}", endpoint, now)
                if limited:
                    extra = {"Retry-After": retry_after} if endpoint.retry_after else {}
                    return Decision("429-endpoint", delay, True, extra)
            outcome = OK
            if self.targets(route, path):
                if self.redirect_to:
                    outcome = REDIRECT
                elif self.huge_body:
                    outcome = HUGE
                else:
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

    def _window(self, key: str, rule: RateLimit, now: float) -> tuple[str, bool]:
        """Count one request in ``key``'s fixed window: (Retry-After seconds, limited?)."""
        start, used = self._windows.get(key, (now, 0))
        if now >= start + rule.period:
            start, used = now, 0
        used += 1
        self._windows[key] = (start, used)
        return str(max(1, math.ceil(start + rule.period - now))), used > rule.limit

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
        return (headers if self.rate_headers_always else {}), False


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
