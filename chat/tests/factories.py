from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.models import Appointment, AppointmentStatus
from chat.models import Message, Thread
from doctors.models import PaymentMethod
from doctors.tests.factories import DoctorProfileFactory


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A confirmed clinic-paid appointment, days apart from the previous one (no overlaps)."""

    class Meta:
        model = Appointment

    doctor = factory.SubFactory(DoctorProfileFactory)
    patient = factory.SubFactory(PatientFactory)
    start = factory.Sequence(lambda n: timezone.now().replace(microsecond=0) + timedelta(days=n + 1))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=30))
    status = AppointmentStatus.CONFIRMED
    payment_method = PaymentMethod.CLINIC


class ThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Thread

    patient = factory.SubFactory(PatientFactory)
    doctor = factory.SubFactory(DoctorProfileFactory)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    thread = factory.SubFactory(ThreadFactory)
    sender = factory.LazyAttribute(lambda o: o.thread.patient)
    body = factory.Sequence(lambda n: f"message {n}")
