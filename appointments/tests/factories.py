from datetime import datetime, time, timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.models import Appointment, AppointmentStatus, AvailabilityRule, TimeOff
from appointments.slots import free_slots, local_today
from appointments.sync import appointment_sync_record
from doctors.tests.factories import DoctorProfileFactory


class AvailabilityRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityRule

    doctor = factory.SubFactory(DoctorProfileFactory)
    weekday = 0
    start_time = time(9, 0)
    end_time = time(12, 0)


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOff

    doctor = factory.SubFactory(DoctorProfileFactory)
    start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=2))
    reason = "Conference"


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A confirmed, pay-at-the-clinic appointment three days ahead."""

    class Meta:
        model = Appointment

    doctor = factory.SubFactory(DoctorProfileFactory)
    patient = factory.SubFactory(PatientFactory)
    start = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    )
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=30))
    status = AppointmentStatus.CONFIRMED
    payment_method = "clinic"
    reason = "Check-up"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Stands in for the booking service, which logs the new appointment for the offline sync
        # (no receiver does it behind a save).
        appointment = super()._create(model_class, *args, **kwargs)
        appointment_sync_record(appointment)
        return appointment


def open_every_day(doctor, start=time(0, 0), end=time(23, 59)) -> None:
    """Give `doctor` one rule per weekday, so any day has slots."""
    for weekday in range(7):
        AvailabilityRuleFactory(doctor=doctor, weekday=weekday, start_time=start, end_time=end)


def first_free_slot(doctor, ahead: timedelta) -> datetime:
    """The start of the doctor's first free slot at least `ahead` from now (within 40 days)."""
    earliest = timezone.now() + ahead
    today = local_today(doctor=doctor)
    for _day, slots in free_slots(doctor=doctor, date_from=today, date_to=today + timedelta(days=40)):
        for start, _end in slots:
            if start >= earliest:
                return start
    raise AssertionError("no free slot found")
