"""Throttling, fault injection and request statistics.

All of it is off by default and can be changed at runtime through
``POST /_fake/faults`` (see README.md).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Tuple

FAIL_STATUSES = (500, 502, 503)


@dataclass
class FaultSettings:
    """Runtime-tunable fault and quirk settings (JSON field names in README)."""

    rate_limit: float = 0.0  # requests per second; 0 = unlimited
    burst: int = 0  # bucket size; 0 = max(1, ceil(rate_limit))
    no_retry_after: bool = False  # gateway-style 429 without Retry-After
    fail_rate: float = 0.0  # probability of an injected 5xx per API request
    fail_statuses: List[int] = field(default_factory=lambda: list(FAIL_STATUSES))
    fail_retry_after: int = 1  # Retry-After seconds on injected 503s
    latency_ms: int = 0  # added before every API response
    scoped_token_mismatch: bool = False  # valid Cloud credentials get the scope 401
    dc_limit_cap: int = 0  # DC: silently cap limit (0 = no cap)
    dc_overshoot_bug: bool = False  # DC: start beyond the end returns the last record
    deny_kinds: List[str] = field(default_factory=list)  # endpoint kinds answered 403 (e.g. a token without that scope)

    def to_json(self) -> dict:
        d = asdict(self)
        return {_camel(k): v for k, v in d.items()}

    def update(self, data: dict) -> None:
        """Apply a JSON object (camelCase keys). Raises ValueError on bad input."""
        names = {_camel(k): k for k in asdict(self)}
        for key in data:
            if key not in names:
                raise ValueError("unknown fault setting %r (known: %s)" % (key, ", ".join(sorted(names))))
        new = FaultSettings(**asdict(self))
        for key, val in data.items():
            attr = names[key]
            cur = getattr(new, attr)
            if isinstance(cur, bool):
                if not isinstance(val, bool):
                    raise ValueError("%s must be true/false" % key)
            elif attr == "deny_kinds":
                if not isinstance(val, list) or not all(isinstance(v, str) and v for v in val):
                    raise ValueError("%s must be a list of endpoint kinds (as in /_fake/stats byKind)" % key)
            elif isinstance(cur, list):
                if not isinstance(val, list) or not all(v in FAIL_STATUSES for v in val) or not val:
                    raise ValueError("%s must be a non-empty subset of %s" % (key, list(FAIL_STATUSES)))
            elif isinstance(cur, (int, float)):
                if isinstance(val, bool) or not isinstance(val, (int, float)) or val < 0:
                    raise ValueError("%s must be a number >= 0" % key)
                val = type(cur)(val)
            setattr(new, attr, val)
        if new.fail_rate > 1:
            raise ValueError("failRate must be within [0, 1]")
        self.__dict__.update(new.__dict__)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)


class TokenBucket:
    """Classic token bucket: ``rate`` tokens/s, capacity ``burst``."""

    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = max(1, burst)
        self.tokens = float(self.burst)
        self.stamp = time.monotonic()

    def take(self) -> Tuple[bool, int, float]:
        """Try to take one token. Returns (allowed, remaining, seconds_until_next_token)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True, int(self.tokens), 0.0
        return False, 0, (1 - self.tokens) / self.rate


@dataclass
class Throttle:
    """Decision for one request: allowed or not, plus header material."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # whole seconds, >= 1 when not allowed
    reset_epoch: float


class Faults:
    """Holds settings, the token bucket and a seeded RNG; thread-safe."""

    def __init__(self, settings: FaultSettings, seed: int = 0):
        self.settings = settings
        self.lock = threading.Lock()
        self.rng = random.Random(seed ^ 0x5EED)
        self._bucket: Optional[TokenBucket] = None
        self._bucket_cfg: Tuple[float, int] = (0.0, 0)

    def update(self, data: dict) -> None:
        with self.lock:
            self.settings.update(data)

    def throttle(self) -> Optional[Throttle]:
        """None when rate limiting is off, else a :class:`Throttle` decision."""
        with self.lock:
            s = self.settings
            if s.rate_limit <= 0:
                self._bucket = None
                return None
            burst = s.burst or max(1, math.ceil(s.rate_limit))
            if self._bucket is None or self._bucket_cfg != (s.rate_limit, burst):
                self._bucket = TokenBucket(s.rate_limit, burst)
                self._bucket_cfg = (s.rate_limit, burst)
            ok, remaining, wait = self._bucket.take()
            retry = 0 if ok else max(1, math.ceil(wait))
            return Throttle(ok, burst, remaining, retry, time.time() + (retry if not ok else (burst - remaining) / s.rate_limit))

    def pick_failure(self) -> Optional[int]:
        """Return a status to inject (500/502/503) or None."""
        with self.lock:
            s = self.settings
            if s.fail_rate <= 0:
                return None
            if self.rng.random() >= s.fail_rate:
                return None
            return self.rng.choice(s.fail_statuses)


class Stats:
    """Request counters exposed at ``GET /_fake/stats``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests = 0
            self.by_kind: Counter = Counter()
            self.by_status: Counter = Counter()
            self.rate_limited = 0
            self.injected: Counter = Counter()
            self.auth_failures = 0
            self.pages_with_body = 0
            self.started = time.time()

    def count(self, kind: str) -> None:
        with self.lock:
            self.requests += 1
            self.by_kind[kind] += 1

    def status(self, code: int) -> None:
        with self.lock:
            self.by_status[str(code)] += 1

    def add(self, what: str, n: int = 1, status: Optional[int] = None) -> None:
        with self.lock:
            if what == "rate_limited":
                self.rate_limited += n
            elif what == "injected":
                self.injected[str(status)] += n
            elif what == "auth_failures":
                self.auth_failures += n
            elif what == "pages_with_body":
                self.pages_with_body += n

    def to_json(self) -> Dict[str, object]:
        with self.lock:
            return {
                "requests": self.requests,
                "byKind": dict(sorted(self.by_kind.items())),
                "byStatus": dict(sorted(self.by_status.items())),
                "rateLimited": self.rate_limited,
                "injectedFailures": sum(self.injected.values()),
                "injectedByStatus": dict(sorted(self.injected.items())),
                "authFailures": self.auth_failures,
                "pagesServedWithBody": self.pages_with_body,
                "sinceSeconds": round(time.time() - self.started, 3),
            }
