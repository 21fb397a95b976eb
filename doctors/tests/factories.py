import factory

from accounts.tests.factories import DoctorUserFactory
from doctors.models import DoctorProfile, Specialty, VerificationStatus


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

    @factory.post_generation
    def specialties(self, create, extracted, **kwargs):
        if create and extracted:
            self.specialties.set(extracted)
