from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.slots import free_slots, local_today
from appointments.tests.factories import open_every_day
from doctors.tests.factories import DoctorProfileFactory


@pytest.fixture
def doctor():
    """A verified Paris doctor (30-min slots) open every day from 00:00 to 23:59."""
    doctor = DoctorProfileFactory()
    open_every_day(doctor)
    return doctor


@pytest.fixture
def patient():
    return PatientFactory()


@pytest.fixture
def free_slot_after():
    """`free_slot_after(doctor, timedelta)` -> the start of the first free slot at least that far ahead."""

    def find(doctor, ahead: timedelta) -> datetime:
        earliest = timezone.now() + ahead
        today = local_today(doctor=doctor)
        for _day, slots in free_slots(doctor=doctor, date_from=today, date_to=today + timedelta(days=40)):
            for start, _end in slots:
                if start >= earliest:
                    return start
        raise AssertionError("no free slot found")

    return find
