import factory

from clinics.models import Clinic


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Clinic {n}")
    address = factory.Sequence(lambda n: f"{n} rue de la Paix")
    city = "Paris"
    country = "FR"

    @factory.post_generation
    def staff(self, create, extracted, **kwargs):
        if create and extracted:
            self.staff.set(extracted)
