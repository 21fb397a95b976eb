from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.models import Appointment, AppointmentStatus
from chat.models import Message, Thread
from doctors.models import PaymentMethod
from doctors.tests.factories import DoctorProfileFactory

# Files recognised by their bytes: a 1x1 PNG, and an executable to name "something.png".
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89" + b"\0" * 64
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\0" * 200


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
