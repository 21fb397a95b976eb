from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.models import Appointment
from doctors.tests.factories import DoctorProfileFactory


class PendingCardAppointmentFactory(factory.django.DjangoModelFactory):
    """A card appointment two days ahead, holding its slot for 15 minutes while the patient pays."""

    class Meta:
        model = Appointment

    doctor = factory.SubFactory(DoctorProfileFactory)
    patient = factory.SubFactory(PatientFactory)
    start = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    )
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=30))
    status = "pending_payment"
    payment_method = "card"
    hold_until = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=15))


class ClinicAppointmentFactory(PendingCardAppointmentFactory):
    status = "confirmed"
    payment_method = "clinic"
    hold_until = None
