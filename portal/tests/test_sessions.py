"""Portal sessions: idle timeout (time travel = moving the session's last-activity stamp back) and the
production cookie settings."""

import importlib
import sys
import time

import pytest
from django.urls import reverse

from portal.idle import LAST_ACTIVITY_KEY

pytestmark = pytest.mark.django_db

SIGNED_OUT_MESSAGE = "You were signed out after a period of inactivity."


def _last_active_seconds_ago(client, seconds: int) -> None:
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - seconds
    session.save()


@pytest.fixture
def active_client(doctor_client):
    """A signed-in doctor whose idle clock has started."""
    assert doctor_client.get(reverse("portal:today")).status_code == 200
    return doctor_client


def test_an_idle_doctor_is_signed_out_and_told_why_on_the_login_page(active_client, settings):
    # given a doctor whose last page was longer ago than the timeout
    _last_active_seconds_ago(active_client, settings.PORTAL_IDLE_TIMEOUT_SECONDS + 1)
    # when they open a page
    response = active_client.get(reverse("portal:schedule"))
    # then they are sent to sign in again, with the reason, and stay signed out
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={reverse('portal:schedule')}"
    assert SIGNED_OUT_MESSAGE in active_client.get(response["Location"]).content.decode()
    assert active_client.get(reverse("portal:today")).status_code == 302


def test_a_page_within_the_timeout_keeps_the_session_and_winds_the_clock(active_client, settings):
    _last_active_seconds_ago(active_client, settings.PORTAL_IDLE_TIMEOUT_SECONDS - 5)

    assert active_client.get(reverse("portal:schedule")).status_code == 200

    assert active_client.session[LAST_ACTIVITY_KEY] >= int(time.time()) - 1


def test_the_timeout_is_a_setting(active_client, settings):
    settings.PORTAL_IDLE_TIMEOUT_SECONDS = 60
    _last_active_seconds_ago(active_client, 61)

    assert active_client.get(reverse("portal:profile")).status_code == 302


def test_the_today_poll_does_not_count_as_activity(active_client, settings):
    # given a doctor who left Today open, the poll answering meanwhile
    timeout = settings.PORTAL_IDLE_TIMEOUT_SECONDS
    _last_active_seconds_ago(active_client, timeout - 5)
    stamp = active_client.session[LAST_ACTIVITY_KEY]
    assert active_client.get(reverse("portal:today-live")).status_code == 200
    assert active_client.session[LAST_ACTIVITY_KEY] == stamp
    # when the timeout passes, then the poll too finds the session over
    _last_active_seconds_ago(active_client, timeout + 1)
    response = active_client.get(reverse("portal:today-live"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_signing_in_again_after_the_timeout_starts_a_fresh_period(active_client, doctor, password, settings):
    _last_active_seconds_ago(active_client, settings.PORTAL_IDLE_TIMEOUT_SECONDS + 1)
    active_client.get(reverse("portal:today"))

    response = active_client.post(reverse("portal:login"), {"username": doctor.user.email, "password": password})

    assert response.status_code == 302
    assert active_client.get(reverse("portal:schedule")).status_code == 200


def test_signing_in_starts_the_clock_so_the_first_page_writes_no_session(client, doctor, password):
    client.post(reverse("portal:login"), {"username": doctor.user.email, "password": password})
    stamp = client.session[LAST_ACTIVITY_KEY]
    assert stamp >= int(time.time()) - 1

    response = client.get(reverse("portal:today"))

    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert client.session[LAST_ACTIVITY_KEY] == stamp


def test_production_cookies_are_secure_http_only_and_same_site_lax(monkeypatch):
    deployed = {
        "SECRET_KEY": "x" * 50,
        "FIELD_ENCRYPTION_KEY": "k",
        "ALLOWED_HOSTS": "tabib.example",
        "DATABASE_URL": "postgres://tabib@db.invalid:5432/tabib",
        "REDIS_URL": "redis://redis.invalid:6379/0",
    }
    for name, value in deployed.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "config.settings.prod", raising=False)
    prod = importlib.import_module("config.settings.prod")
    monkeypatch.delitem(sys.modules, "config.settings.prod")

    session_cookie = (prod.SESSION_COOKIE_SECURE, prod.SESSION_COOKIE_HTTPONLY, prod.SESSION_COOKIE_SAMESITE)
    assert session_cookie == (True, True, "Lax")
    assert (prod.CSRF_COOKIE_SECURE, prod.CSRF_COOKIE_SAMESITE) == (True, "Lax")
    assert prod.PORTAL_IDLE_TIMEOUT_SECONDS == 30 * 60
