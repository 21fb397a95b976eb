from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.models import Appointment, AppointmentStatus
from doctors.models import PaymentMethod
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification, NotificationType


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(PatientFactory)
    type = NotificationType.SYSTEM
    template_key = "test"
    title = factory.Sequence(lambda n: f"Notification {n}")
    body = "Body"


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A confirmed 30-minute appointment two days ahead, booked a week ago."""

    class Meta:
        model = Appointment
        skip_postgeneration_save = True

    doctor = factory.SubFactory(DoctorProfileFactory)
    patient = factory.SubFactory(PatientFactory)
    start = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + timedelta(days=2))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=30))
    status = AppointmentStatus.CONFIRMED
    payment_method = PaymentMethod.CLINIC

    @factory.post_generation
    def booked_at(self, create, extracted, **kwargs):
        """`booked_at=<datetime>` (default a week ago); created_at is auto_now_add, hence the update."""
        if create:
            self.created_at = extracted or timezone.now() - timedelta(days=7)
            Appointment.objects.filter(pk=self.pk).update(created_at=self.created_at)
