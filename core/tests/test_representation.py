"""`datetime_representation` writes exactly what DRF's DateTimeField writes."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone as django_timezone
from rest_framework import serializers

from core.representation import current_zone, datetime_representation

VALUES = [
    datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # the night Paris moves to summer time
    datetime(2026, 3, 29, 1, 30, 0, 7, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=ZoneInfo("Pacific/Kiritimati")),
    datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
    datetime(2026, 6, 1, 12, 0),  # naive: DRF makes it aware in the current zone
]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/St_Johns"])
def test_a_datetime_is_written_as_drf_writes_it(zone):
    with django_timezone.override(ZoneInfo(zone)):
        for value in VALUES:
            drf = serializers.DateTimeField().to_representation(value)
            assert datetime_representation(value) == drf
            assert datetime_representation(value, current_zone()) == drf
    assert datetime_representation(None) is None
