"""Demo accounts: one admin, a few patients and a family (every password is `demo-pass-2026`)."""

from datetime import date

from allauth.account.models import EmailAddress

from accounts.models import PatientProfile, Relationship, Relative, Role, User
from accounts.selectors import relatives_of
from accounts.services import relative_create
from core.demo import DEMO_PASSWORD

PATIENTS = [
    ("alice@demo.tabib.local", "Alice", "Martin", "en"),
    ("helene@demo.tabib.local", "Hélène", "Dubois", "fr"),
    ("omar@demo.tabib.local", "Omar", "Benali", "fr"),
    ("sara@demo.tabib.local", "Sara", "Lindqvist", "en"),
]
# Alice books for her two children too.
FAMILY_PARENT = "alice@demo.tabib.local"
FAMILY_CHILDREN = [("Léa", "Martin", date(2017, 5, 12)), ("Noé", "Martin", date(2020, 9, 3))]


def demo_user(*, email: str, first_name: str, last_name: str, role: str, locale: str = "en", **extra) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "role": role,
            "locale": locale,
            "email_verified": True,
            **extra,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"primary": True, "verified": True})
    return user


def seed(out) -> None:
    admin = demo_user(
        email="admin@demo.tabib.local",
        first_name="Ada",
        last_name="Admin",
        role=Role.ADMIN,
        is_staff=True,
        is_superuser=True,
    )
    out.write(f"  admin    {admin.email} / {DEMO_PASSWORD}  (/admin/)")
    for email, first, last, locale in PATIENTS:
        patient = demo_user(email=email, first_name=first, last_name=last, role=Role.PATIENT, locale=locale)
        PatientProfile.objects.get_or_create(user=patient, defaults={"city": "Paris", "country": "FR"})
        out.write(f"  patient  {patient.email} / {DEMO_PASSWORD}")

    parent = User.objects.get(email=FAMILY_PARENT)
    for first, last, born in FAMILY_CHILDREN:
        demo_relative(user=parent, first_name=first, last_name=last, date_of_birth=born)
    out.write(f"  family   {parent.email} books for {' and '.join(first for first, _l, _b in FAMILY_CHILDREN)}")


def demo_relative(*, user: User, first_name: str, last_name: str, date_of_birth: date) -> Relative:
    """Idempotent on the child's name, through the service (so the family's offline copies have it)."""
    existing = relatives_of(user=user).filter(first_name=first_name, last_name=last_name).first()
    return existing or relative_create(
        user=user,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        relationship=Relationship.CHILD,
    )
