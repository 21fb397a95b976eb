"""The periodic tasks: every beat entry names a real task, and the daily prunes forget only what is old."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from config.celery import app
from core.idempotency import RETENTION, idempotency_records_prune, idempotent_call
from core.models import IdempotencyRecord
from core.tasks import idempotency_prune_task

pytestmark = pytest.mark.django_db  # loading the task modules runs Celery's Django checks, which query


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"core.tasks.sync_prune_task", "core.tasks.idempotency_prune_task"} <= scheduled
    assert scheduled - set(app.tasks) == set()


def test_idempotency_prune_forgets_only_keys_past_retention():
    user = PatientFactory()
    for key in ("old", "fresh"):
        idempotent_call(user=user, scope="test", key=key, payload={}, handler=lambda: (201, {"ok": True}))
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - RETENTION - timedelta(minutes=1))

    assert idempotency_prune_task.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
    assert idempotency_records_prune() == 0
