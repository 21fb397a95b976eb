import datetime

import factory

from accounts.models import PatientProfile, Role, User

DEFAULT_PASSWORD = "correct-Horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.PATIENT
    locale = "en"
    email_verified = True
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save_password(self, create, extracted, **kwargs):
        if create:
            self.save(update_fields=["password"])


class PatientFactory(UserFactory):
    role = Role.PATIENT
    profile = factory.RelatedFactory("accounts.tests.factories.PatientProfileFactory", factory_related_name="user")


class PatientProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientProfile

    user = factory.SubFactory(UserFactory)
    city = "Paris"
    country = "FR"


class DoctorUserFactory(UserFactory):
    role = Role.DOCTOR


class AdminFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True


class StaffFactory(UserFactory):
    """Staff who are not superusers: `StaffFactory(permissions=["doctors.view_review"])`."""

    role = Role.ADMIN
    is_staff = True

    @factory.post_generation
    def permissions(self, create, extracted, **kwargs):
        from django.contrib.auth.models import Permission

        if create and extracted:
            for label in extracted:
                app_label, codename = label.split(".")
                self.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class RelativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Relative"

    user = factory.SubFactory(PatientFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = datetime.date(2016, 4, 2)
    relationship = "child"
