from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.models import Appointment, AppointmentStatus
from appointments.sync import appointment_sync_record
from doctors.models import PaymentMethod
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification, NotificationType
from notifications.services import notification_send
from support.models import FaqCategory, FaqEntry, Policy, PolicySlug, SupportCategory, SupportRequest


class FaqEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqEntry

    category = FaqCategory.APPOINTMENTS
    question_en = factory.Sequence(lambda n: f"Question {n}?")
    answer_en = "An answer."
    question_fr = factory.Sequence(lambda n: f"Question n° {n} ?")
    answer_fr = "Une réponse."
    is_published = True


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    slug = PolicySlug.PRIVACY
    version = factory.Sequence(lambda n: n + 1)
    title_en = "Privacy policy"
    body_en = "We keep your data safe."
    title_fr = "Politique de confidentialité"
    body_fr = "Nous protégeons vos données."
    is_published = True
    published_at = factory.LazyFunction(timezone.now)


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A confirmed clinic-paid appointment three days from now."""

    class Meta:
        model = Appointment

    doctor = factory.SubFactory(DoctorProfileFactory)
    patient = factory.SubFactory(PatientFactory)
    start = factory.Sequence(lambda n: timezone.now().replace(microsecond=0) + timedelta(days=3, hours=n))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=30))
    status = AppointmentStatus.CONFIRMED
    payment_method = PaymentMethod.CLINIC

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Stands in for the booking service, which logs the new appointment for the offline sync
        # (no receiver does it behind a save).
        appointment = super()._create(model_class, *args, **kwargs)
        appointment_sync_record(appointment)
        return appointment


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    """Created through `notification_send`, the one way notifications come to exist."""

    user = factory.SubFactory(PatientFactory)
    type = NotificationType.SYSTEM
    template_key = "test"

    @classmethod
    def _create(cls, model_class, *, user, type, template_key, **kwargs):
        return notification_send(user=user, type=type, template_key=template_key, **kwargs)


class SupportRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportRequest

    requester = factory.SubFactory(PatientFactory)
    subject = factory.Sequence(lambda n: f"Problem {n}")
    message = "Something is wrong."
    category = SupportCategory.OTHER
