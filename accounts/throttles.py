"""Brute-force throttles for login, password-forgot, registration and social sign-in (cache-backed:
Redis when configured).

Keyed on the account (normalised email) with the client IP, plus on the account alone. Never on a
bare IP: a whole clinic may share one address, and one member's typos must not lock out the rest.
"""

import hashlib
import math
from types import SimpleNamespace

from django.utils.translation import ngettext
from rest_framework.settings import api_settings

from accounts.services import email_normalize
from core.throttles import AtomicRateThrottle


class _AccountThrottle(AtomicRateThrottle):
    """Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope], else `default_rate`."""

    default_rate: str = ""
    with_ip: bool = True

    def get_rate(self) -> str | None:
        # Read at request time, not import time, so settings overrides (tests, env) apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or self.default_rate

    def get_cache_key(self, request, view) -> str | None:
        data = request.data
        email = data.get("email") if isinstance(data, dict) else None
        if not isinstance(email, str) or not email.strip() or len(email) > 254:
            return None  # the request fails validation anyway; nothing to count against
        ident = email_normalize(email)
        if self.with_ip:
            ident = f"{ident}|{self.get_ident(request)}"
        digest = hashlib.sha256(ident.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class LoginAccountIpThrottle(_AccountThrottle):
    scope = "login"
    default_rate = "10/min"


class LoginAccountThrottle(_AccountThrottle):
    scope = "login_account"
    default_rate = "30/hour"
    with_ip = False


LOGIN_THROTTLES = (LoginAccountIpThrottle, LoginAccountThrottle)


def login_throttle_wait(request, *, email: str) -> float | None:
    """The API's login throttles for a session sign-in form (the portal): the same keys and rates,
    counted together with the API's. Seconds to wait when throttled, else None (and counted)."""
    attempt = SimpleNamespace(data={"email": email}, META=request.META, headers=request.headers)
    for throttle_class in LOGIN_THROTTLES:
        throttle = throttle_class()
        if not throttle.allow_request(attempt, None):
            return throttle.wait()
    return None


def login_throttle_message(*, wait: float) -> str:
    """What a sign-in page says when `login_throttle_wait` answered `wait` seconds."""
    minutes = max(1, math.ceil(wait / 60))
    return ngettext(
        "Too many sign-in attempts. Try again in %(minutes)d minute.",
        "Too many sign-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class PasswordForgotAccountIpThrottle(_AccountThrottle):
    scope = "password_forgot"
    default_rate = "5/hour"


class PasswordForgotAccountThrottle(_AccountThrottle):
    scope = "password_forgot_account"
    default_rate = "10/hour"
    with_ip = False


class RegisterAccountThrottle(_AccountThrottle):
    """Registrations naming one email, from anywhere."""

    scope = "register"
    default_rate = "5/hour"
    with_ip = False


class RegisterIpThrottle(AtomicRateThrottle):
    """Registrations from one address: before an account exists there is nothing else to key on.
    The address is REMOTE_ADDR (REST_FRAMEWORK["NUM_PROXIES"] = 0): a client's own
    X-Forwarded-For header never picks its bucket."""

    scope = "register_ip"
    default_rate = "30/hour"

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or self.default_rate

    def get_cache_key(self, request, view) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


REGISTER_THROTTLES = (RegisterAccountThrottle, RegisterIpThrottle)


class OAuthIdentityThrottle(AtomicRateThrottle):
    """Social sign-ins of one provider identity (the account it names), counted once the provider
    vouched for the token: `oauth_identity_throttle_check` is called by the view after verifying."""

    scope = "oauth"
    default_rate = "30/hour"

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or self.default_rate

    def get_cache_key(self, request, view) -> str | None:
        digest = hashlib.sha256(f"{request.provider}|{request.uid}".encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


def oauth_identity_throttle_wait(*, provider: str, uid: str) -> float | None:
    """Seconds to wait when this identity signed in too often, else None (and counted)."""
    throttle = OAuthIdentityThrottle()
    if throttle.allow_request(SimpleNamespace(provider=provider, uid=uid), None):
        return None
    return throttle.wait()
