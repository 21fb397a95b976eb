"""Demo directory: 12 specialties (EN/FR), 44 verified doctors in 8 cities, 4 pending, a few reviews.

Every doctor's password is `core.demo.DEMO_PASSWORD`. Safe to run again.
"""

from datetime import timedelta

from django.utils import timezone

from accounts.demo import PATIENTS, demo_user
from accounts.models import Role, User
from core.demo import DEMO_PASSWORD
from doctors.directory_cache import directory_changed
from doctors.models import DoctorProfile, Review, Specialty, VerificationStatus, VisitType
from doctors.services import doctor_search_name, review_create, visit_type_create, visit_type_default_ensure

SPECIALTIES = [
    ("general-practice", "General practice", "Médecine générale"),
    ("cardiology", "Cardiology", "Cardiologie"),
    ("dermatology", "Dermatology", "Dermatologie"),
    ("pediatrics", "Pediatrics", "Pédiatrie"),
    ("gynecology", "Gynecology", "Gynécologie"),
    ("ophthalmology", "Ophthalmology", "Ophtalmologie"),
    ("dentistry", "Dentistry", "Dentisterie"),
    ("psychiatry", "Psychiatry", "Psychiatrie"),
    ("ent", "Ear, nose and throat", "Oto-rhino-laryngologie"),
    ("orthopedics", "Orthopedics", "Orthopédie"),
    ("neurology", "Neurology", "Neurologie"),
    ("endocrinology", "Endocrinology", "Endocrinologie"),
]
CITIES = [
    ("Paris", "FR"),
    ("Lyon", "FR"),
    ("Marseille", "FR"),
    ("Toulouse", "FR"),
    ("Bordeaux", "FR"),
    ("Genève", "CH"),
    ("Bruxelles", "BE"),
    ("Casablanca", "MA"),
]
CURRENCY = {"FR": "EUR", "BE": "EUR", "CH": "CHF", "MA": "MAD"}
FIRST_NAMES = [
    "Hélène",
    "François",
    "Zoé",
    "Amélie",
    "Jérôme",
    "Léa",
    "Noël",
    "Chloé",
    "Émile",
    "Inès",
    "Loïc",
    "Anaïs",
    "James",
    "Sarah",
    "Youssef",
    "Fatima",
    "Björn",
    "Olivia",
    "Thomas",
    "Camille",
    "Raphaël",
    "Nadia",
]
LAST_NAMES = [
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Girard",
    "Bénard",
    "Roux",
    "Fontaine",
    "Chevalier",
    "Müller",
    "Smith",
    "El Amrani",
    "Durand",
    "Gauthier",
    "Perrin",
    "Mercier",
    "Lemaître",
    "Faure",
    "Brunet",
    "Ngô",
    "Caron",
    "Leclerc",
    "Barbier",
]
LANGUAGES = [["fr"], ["fr", "en"], ["fr", "ar"], ["en", "fr", "es"], ["fr", "de"]]
VERIFIED_COUNT = 44
PENDING_COUNT = 4


def _specialties() -> list[Specialty]:
    specialties = []
    for slug, name_en, name_fr in SPECIALTIES:
        specialty, _created = Specialty.objects.update_or_create(
            slug=slug,
            defaults={
                "name_en": name_en,
                "name_fr": name_fr,
                "description_en": f"{name_en} consultations.",
                "description_fr": f"Consultations de {name_fr.lower()}.",
            },
        )
        specialties.append(specialty)
    return specialties


def _doctor(index: int, specialties: list[Specialty], status: str) -> DoctorProfile:
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index * 7) % len(LAST_NAMES)]
    user = demo_user(
        email=f"doctor{index:02d}@demo.tabib.local",
        first_name=first,
        last_name=last,
        role=Role.DOCTOR,
        locale="fr" if index % 3 else "en",
    )
    city, country = CITIES[index % len(CITIES)]
    profile, _created = DoctorProfile.objects.update_or_create(
        user=user,
        defaults={
            "title": "Dr",
            "bio": f"{first} {last}, {specialties[index % len(specialties)].name_en}.",
            "clinic_name": f"Cabinet {last}",
            "clinic_address": f"{10 + index} rue de la Santé, {city}",
            "city": city,
            "country": country,
            "fee_amount": 3000 + (index % 8) * 1000,
            "fee_currency": CURRENCY[country],
            "languages": LANGUAGES[index % len(LANGUAGES)],
            "years_experience": 3 + index % 25,
            "timezone": "Africa/Casablanca" if country == "MA" else "Europe/Paris",
            "slot_minutes": (20, 30, 45)[index % 3],
            "verification_status": status,
            "search_name": doctor_search_name(user),
            "next_available_at": timezone.now() + timedelta(hours=3 + index * 5) if status == "verified" else None,
        },
    )
    profile.specialties.set([specialties[index % len(specialties)], *([specialties[0]] if index % 4 == 0 else [])])
    _visit_types(profile, index)
    return profile


def _visit_types(profile: DoctorProfile, index: int) -> None:
    """The default (the profile's slot and fee) plus a first consultation, a follow-up with a buffer
    and, for every other doctor, a short vaccination paid at the desk."""
    visit_type_default_ensure(doctor=profile)
    slot, fee = profile.slot_minutes, profile.fee_amount
    kinds = [
        {
            "name_en": "First consultation",
            "name_fr": "Première consultation",
            "description_en": "A longer first visit: history, examination, plan.",
            "description_fr": "Une première visite plus longue : antécédents, examen, plan de soins.",
            "duration_minutes": min(slot * 2, 90),
            "fee_amount": fee + 2000,
            "new_patients_only": True,
        },
        {
            "name_en": "Follow-up",
            "name_fr": "Consultation de suivi",
            "duration_minutes": max(slot - 10, 10),
            "buffer_minutes": 10,
            "fee_amount": max(fee - 1000, 1000),
        },
    ]
    if index % 2 == 0:
        kinds.append(
            {
                "name_en": "Vaccination",
                "name_fr": "Vaccination",
                "duration_minutes": 10,
                "fee_amount": 2500,
                "accepts_payment_methods": ["clinic"],
            }
        )
    for kind in kinds:
        if not VisitType.objects.filter(doctor=profile, name_en=kind["name_en"]).exists():
            visit_type_create(doctor=profile, data={**kind, "fee_currency": profile.fee_currency})


def _reviews(doctors: list[DoctorProfile]) -> int:
    from appointments.models import Appointment, AppointmentStatus  # up-call (docs/architecture.md)

    patients = list(User.objects.filter(email__in=[email for email, *_rest in PATIENTS]).order_by("email"))
    created = 0
    for doctor_index, doctor in enumerate(doctors[:8]):
        for patient_index, patient in enumerate(patients):
            start = (timezone.now() - timedelta(days=10 + patient_index, hours=doctor_index)).replace(
                minute=0, second=0, microsecond=0
            )
            appointment, _made = Appointment.objects.get_or_create(
                doctor=doctor,
                patient=patient,
                start=start,
                defaults={
                    "end": start + timedelta(minutes=30),
                    "status": AppointmentStatus.COMPLETED,
                    "payment_method": "clinic",
                },
            )
            if Review.objects.filter(doctor=doctor, patient=patient).exists():
                continue
            review_create(
                patient=patient,
                doctor=doctor,
                appointment_id=appointment.pk,
                rating=(5, 4, 5, 3)[(doctor_index + patient_index) % 4],
                comment=(
                    "Très à l'écoute, je recommande.",
                    "Clear explanations, on time.",
                    "Cabinet agréable, un peu d'attente.",
                    "Good doctor.",
                )[patient_index % 4],
            )
            created += 1
    return created


def seed(out) -> None:
    specialties = _specialties()
    verified = [_doctor(i, specialties, VerificationStatus.VERIFIED) for i in range(VERIFIED_COUNT)]
    for i in range(VERIFIED_COUNT, VERIFIED_COUNT + PENDING_COUNT):
        _doctor(i, specialties, VerificationStatus.PENDING)
    reviews = _reviews(verified)
    directory_changed()
    out.write(
        f"  doctors  {VERIFIED_COUNT} verified + {PENDING_COUNT} pending in {len(CITIES)} cities, "
        f"{len(specialties)} specialties, {reviews} new reviews"
    )
    for profile in verified[:3]:
        out.write(f"  doctor   {profile.user.email} / {DEMO_PASSWORD}  ({profile.user.full_name}, {profile.city})")
    out.write(f"  doctor   doctor{VERIFIED_COUNT:02d}@demo.tabib.local / {DEMO_PASSWORD}  (pending verification)")
