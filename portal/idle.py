"""Idle timeout of portal sessions: a doctor is signed out after PORTAL_IDLE_TIMEOUT_SECONDS without
a page they asked for. The Today poll reads the clock but does not wind it, so a portal left open on
a screen signs itself out like an idle one."""

from django.conf import settings
from django.utils import timezone

LAST_ACTIVITY_KEY = "portal_last_activity"
# Rewriting the stamp on every page would cost a session write per request; a minute is precise enough.
RECORD_EVERY_SECONDS = 60


def _now() -> int:
    return int(timezone.now().timestamp())


def session_idle_expired(request) -> bool:
    last = request.session.get(LAST_ACTIVITY_KEY)
    return last is not None and _now() - last > settings.PORTAL_IDLE_TIMEOUT_SECONDS


def session_idle_clock_start(sender, request, user, **kwargs) -> None:
    """Signing in starts the clock (`user_logged_in` receiver), so the first page costs no session write."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_ACTIVITY_KEY] = _now()


def session_activity_record(request, *, by_user: bool) -> None:
    """A page the doctor asked for winds the clock; a request the page makes by itself only starts it."""
    last = request.session.get(LAST_ACTIVITY_KEY)
    if last is None or (by_user and _now() - last >= RECORD_EVERY_SECONDS):
        request.session[LAST_ACTIVITY_KEY] = _now()
