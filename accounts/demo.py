"""Demo accounts: one admin and a few patients (every password is `demo-pass-2026`)."""

from allauth.account.models import EmailAddress

from accounts.models import PatientProfile, Role, User
from core.demo import DEMO_PASSWORD

PATIENTS = [
    ("alice@demo.tabib.local", "Alice", "Martin", "en"),
    ("helene@demo.tabib.local", "Hélène", "Dubois", "fr"),
    ("omar@demo.tabib.local", "Omar", "Benali", "fr"),
    ("sara@demo.tabib.local", "Sara", "Lindqvist", "en"),
]


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
