from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.tests.factories import AppointmentFactory, first_free_slot, open_every_day
from doctors.tests.factories import DoctorProfileFactory
from waitlist.tests.factories import WaitlistEntryFactory


@pytest.fixture
def doctor():
    """A verified Paris doctor (30-min slots) open every day from 00:00 to 23:59."""
    doctor = DoctorProfileFactory()
    open_every_day(doctor)
    return doctor


@pytest.fixture
def booked(doctor):
    """A confirmed appointment of another patient three days ahead (the slot that will free)."""
    start = first_free_slot(doctor, timedelta(days=3))
    return AppointmentFactory(doctor=doctor, start=start, end=start + timedelta(minutes=30))


@pytest.fixture
def waiting(doctor, booked):
    """Three patients waiting for `doctor`, in the order they joined, windows holding `booked`'s day."""
    day = booked.start.astimezone(ZoneInfo(doctor.timezone)).date()
    entries = []
    for minutes_ago in (30, 20, 10):
        entry = WaitlistEntryFactory(
            doctor=doctor,
            patient=PatientFactory(),
            earliest_date=day - timedelta(days=1),
            latest_date=day + timedelta(days=1),
        )
        entry.__class__.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
        entries.append(entry)
    return entries


class Clock:
    """The wall clock the code reads (`django.utils.timezone.now`), moved forward by a test."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + clock.offset)
    return clock
