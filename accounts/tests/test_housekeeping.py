"""Beat flushes expired refresh tokens from simplejwt's outstanding list and blacklist."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.tasks import tokens_flush_expired_task
from accounts.tests.factories import UserFactory
from config.celery import app

pytestmark = pytest.mark.django_db


def outstanding(user, jti: str, expires_in: timedelta) -> OutstandingToken:
    now = timezone.now()
    return OutstandingToken.objects.create(
        user=user, jti=jti, token=f"token-{jti}", created_at=now - timedelta(days=31), expires_at=now + expires_in
    )


def test_expired_tokens_are_flushed_with_their_blacklist_rows_and_live_ones_kept():
    # given an expired blacklisted token, an expired one, and a live one
    user = UserFactory()
    expired_blacklisted = outstanding(user, "expired-blacklisted", timedelta(minutes=-1))
    BlacklistedToken.objects.create(token=expired_blacklisted)
    outstanding(user, "expired", timedelta(days=-2))
    live = outstanding(user, "live", timedelta(days=3))
    BlacklistedToken.objects.create(token=live)
    # when beat's daily task runs (twice: it is idempotent)
    tokens_flush_expired_task.delay()
    tokens_flush_expired_task.delay()
    # then only the live token and its blacklist row remain
    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == ["live"]
    assert list(BlacklistedToken.objects.values_list("token__jti", flat=True)) == ["live"]


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()

    missing = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] not in app.tasks]

    assert missing == []
    assert settings.CELERY_BEAT_SCHEDULE["accounts-flush-expired-tokens"]["task"] == tokens_flush_expired_task.name
