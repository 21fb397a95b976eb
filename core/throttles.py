"""Per-account rate limits (cache-backed: Redis when configured), for the API and the sockets.

Keyed on the signed-in account, never on a bare IP: a whole clinic may share one address. Rates
come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope] (settings/environment), else the class's
`default_rate`. Only writes count: reading one's own data is not what these protect.

Every throttle of the project is an `AtomicRateThrottle`: DRF's sliding window (the same
requests allowed, the same `Retry-After`), with the check and the count in one atomic step.
DRF's own reads the window, then writes it back: simultaneous requests of one account all read the
same window and all pass (ten parallel sign-in attempts counted as one), and it costs two Redis round
trips. On Redis the step is one Lua script; on the in-process cache (the embedded default) a lock.
"""

import threading
import uuid
from functools import cache
from types import SimpleNamespace
from typing import Any

from django.core.cache import caches
from django_redis.cache import RedisCache
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

# KEYS[1] the window (a sorted set of attempt times); ARGV now, duration (s), limit, a unique member.
# Returns {allowed, attempts in the window before this one, the oldest attempt's time or false}.
_WINDOW_SCRIPT = """
local now, duration, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - duration)
local count = redis.call('ZCARD', KEYS[1])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or false
if count >= limit then
  return {0, count, oldest}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(duration))
return {1, count, oldest}
"""
# A sorted set, under names of its own: DRF's throttle keeps a pickled list under `self.key`, and
# during a rolling deploy a process of either kind must never meet the other's value (WRONGTYPE).
WINDOW_KEY_PREFIX = "window:"
_LOCAL_WINDOWS = threading.Lock()


class AtomicRateThrottle(SimpleRateThrottle):
    """DRF's `SimpleRateThrottle` (subclasses give `scope` and `get_cache_key`), counted atomically."""

    def allow_request(self, request, view) -> bool:
        store = caches["default"]
        if not isinstance(store, RedisCache):
            with _LOCAL_WINDOWS:
                return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        allowed, count, oldest = store.client.get_client(write=True).register_script(_WINDOW_SCRIPT)(
            keys=[store.make_key(WINDOW_KEY_PREFIX + self.key)],
            args=[self.now, self.duration, self.num_requests, uuid.uuid4().hex],
        )
        # What DRF's `wait()` reads of a refused request's window: its length and its oldest time.
        self.history = [float(oldest)] * count if oldest else []
        return bool(allowed)


DEFAULT_RATES = {
    "booking": "20/hour",
    "chat_message": "60/min",
    "chat_attachment": "30/hour",
    "socket_frame": "120/min",
    "support_request": "10/hour",
    "device": "30/hour",
    "review_reply": "30/hour",
    "review": "10/hour",
}


def _rate(scope: str) -> str | None:
    # Read at request time, not import time, so settings overrides (tests, env) apply.
    return api_settings.DEFAULT_THROTTLE_RATES.get(scope) or DEFAULT_RATES.get(scope)


class AccountWriteThrottle(AtomicRateThrottle):
    """Counts the signed-in account's writes (POST/PUT/PATCH/DELETE) under `scope`."""

    def get_rate(self) -> str | None:
        return _rate(self.scope)

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # refused by the view's permission check anyway
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


@cache
def account_throttle(scope: str) -> type[AccountWriteThrottle]:
    """The throttle class of one scope, for a view's `throttle_classes`."""
    if scope not in DEFAULT_RATES:
        raise ValueError(f"unknown throttle scope {scope!r}")
    return type(f"AccountWriteThrottle_{scope}", (AccountWriteThrottle,), {"scope": scope})


def account_rate_allows(*, scope: str, account_id: Any) -> bool:
    """One more action of `account_id` under `scope` (a socket frame): False when over the rate."""
    throttle = account_throttle(scope)()
    attempt = SimpleNamespace(method="POST", user=SimpleNamespace(is_authenticated=True, pk=account_id))
    return throttle.allow_request(attempt, None)
