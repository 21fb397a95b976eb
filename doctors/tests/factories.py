from datetime import timedelta
from io import BytesIO

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.tests.factories import DoctorUserFactory, PatientFactory
from doctors.models import DoctorProfile, Specialty, VerificationStatus, VisitType
from doctors.services import doctor_search_name


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"specialty-{n}")
    name_en = factory.Sequence(lambda n: f"Specialty {n}")
    name_fr = factory.Sequence(lambda n: f"Spécialité {n}")


class DoctorProfileFactory(factory.django.DjangoModelFactory):
    """A verified doctor in Paris, 30-minute slots, 50 EUR."""

    class Meta:
        model = DoctorProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(DoctorUserFactory)
    title = "Dr"
    clinic_name = "Clinique Centrale"
    clinic_address = "1 rue de la Paix"
    city = "Paris"
    country = "FR"
    fee_amount = 5000
    fee_currency = "EUR"
    languages = factory.LazyFunction(lambda: ["en", "fr"])
    timezone = "Europe/Paris"
    slot_minutes = 30
    verification_status = VerificationStatus.VERIFIED
    search_name = factory.LazyAttribute(lambda o: doctor_search_name(o.user))

    @factory.post_generation
    def specialties(self, create, extracted, **kwargs):
        if create and extracted:
            self.specialties.set(extracted)


class VisitTypeFactory(factory.django.DjangoModelFactory):
    """A non-default 40-minute visit type at 60 EUR (the doctor's payment methods)."""

    class Meta:
        model = VisitType

    doctor = factory.SubFactory(DoctorProfileFactory)
    name_en = "First consultation"
    name_fr = "Première consultation"
    duration_minutes = 40
    buffer_minutes = 0
    fee_amount = 6000
    fee_currency = "EUR"


class CompletedAppointmentFactory(factory.django.DjangoModelFactory):
    """A past clinic-paid appointment already marked completed (no appointments factory here)."""

    class Meta:
        model = "appointments.Appointment"

    doctor = factory.SubFactory(DoctorProfileFactory)
    patient = factory.SubFactory(PatientFactory)
    start = factory.Sequence(lambda n: timezone.now() - timedelta(days=2, hours=n))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=30))
    status = "completed"
    payment_method = "clinic"


def photo_upload(
    image_format: str = "JPEG",
    size: tuple[int, int] = (1600, 1200),
    name: str = "me.jpg",
    mode: str = "RGB",
    **save_options,
) -> SimpleUploadedFile:
    """An uploaded image file of `image_format`, whatever `name` claims."""
    buffer = BytesIO()
    Image.new(mode, size, "white").save(buffer, format=image_format, **save_options)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
