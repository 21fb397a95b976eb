"""Per-account rate limits (cache-backed: Redis when configured), for the API and the sockets.

Keyed on the signed-in account, never on a bare IP: a whole clinic may share one address. Rates
come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope] (settings/environment), else the class's
`default_rate`. Only writes count: reading one's own data is not what these protect.
"""

from functools import cache
from types import SimpleNamespace
from typing import Any

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

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


class AccountWriteThrottle(SimpleRateThrottle):
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
