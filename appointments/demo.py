"""Demo schedules for every demo doctor, past and upcoming appointments for the demo patients, and
a showcase practice for the first verified doctor: a full day today and 12 weeks of history, so every
portal page (Today, Appointments, Insights) has something to show."""

import contextlib
from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.demo import FAMILY_CHILDREN, FAMILY_PARENT, demo_user
from accounts.models import Role, User
from accounts.selectors import relatives_of
from appointments.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentStatusChange,
    AvailabilityRule,
)
from appointments.services import appointment_book, availability_rules_replace
from appointments.slots import doctor_zone, free_slots, local_today
from core.exceptions import ApplicationError
from doctors.models import DoctorProfile, VisitType

WEEKDAY_HOURS = [(time(9, 0), time(12, 30)), (time(14, 0), time(18, 0))]
DEMO_PATIENTS = ["alice@demo.tabib.local", "helene@demo.tabib.local", "omar@demo.tabib.local", "sara@demo.tabib.local"]
SHOWCASE_PATIENTS = [
    ("Lucas", "Bernard"),
    ("Chloé", "Petit"),
    ("Yasmine", "Haddad"),
    ("Noah", "Moreau"),
    ("Inès", "Laurent"),
    ("Hugo", "Garcia"),
    ("Léa", "Roux"),
    ("Karim", "Mansour"),
]
TODAY_TIMES = [time(9, 0), time(9, 30), time(10, 0), time(11, 0), time(11, 30), time(14, 0), time(15, 0), time(16, 30)]
TODAY_REASONS = [
    "Annual check-up",
    "Blood pressure follow-up",
    "Test results",
    "Persistent cough",
    "Vaccination",
    "Back pain",
    "Prescription renewal",
    "Follow-up",
]
S = AppointmentStatus


def _schedule(index: int) -> list[dict]:
    """Mon-Fri two sittings; every other doctor also works Saturday mornings and rests on Wednesday
    afternoons, so the schedules differ a little."""
    rules = []
    for weekday in range(5):
        for start, end in WEEKDAY_HOURS:
            if index % 2 and weekday == 2 and start.hour >= 14:
                continue
            rules.append({"weekday": weekday, "start_time": start, "end_time": end})
    if index % 2:
        rules.append({"weekday": 5, "start_time": time(9, 0), "end_time": time(12, 0)})
    return rules


def _first_free(doctor, *, skip: int):
    today = local_today(doctor=doctor)
    found = [
        start
        for _day, slots in free_slots(
            doctor=doctor, date_from=today + timedelta(days=2), date_to=today + timedelta(days=20)
        )
        for start, _end in slots
    ]
    return found[skip] if len(found) > skip else None


def _showcase_patients() -> list[User]:
    extra = [
        demo_user(
            email=f"{first.lower()}.{last.lower()}@demo.tabib.local".replace("é", "e").replace("è", "e"),
            first_name=first,
            last_name=last,
            role=Role.PATIENT,
        )
        for first, last in SHOWCASE_PATIENTS
    ]
    return list(User.objects.filter(email__in=DEMO_PATIENTS).order_by("email")) + extra


def _showcase_appointment(*, doctor, patient, start: datetime, status: str, reason: str) -> Appointment | None:
    """Idempotent on (doctor, patient, start); None when the time collides with another demo appointment."""
    try:
        with transaction.atomic():
            appointment, created = Appointment.objects.get_or_create(
                doctor=doctor,
                patient=patient,
                start=start,
                defaults={
                    "visit_type": VisitType.objects.filter(doctor=doctor, is_default=True).first(),
                    "end": start + timedelta(minutes=doctor.slot_minutes),
                    "status": status,
                    "payment_method": "clinic",
                    "reason": reason,
                },
            )
    except IntegrityError:
        return None
    if created:
        AppointmentStatusChange.objects.create(
            appointment=appointment, from_status="", to_status=S.CONFIRMED, source="demo"
        )
        if status != S.CONFIRMED:
            AppointmentStatusChange.objects.create(
                appointment=appointment,
                from_status=S.CONFIRMED,
                to_status=status,
                changed_by=doctor.user,
                source="demo",
            )
    return appointment


def _showcase_today(doctor, patients: list[User]) -> int:
    """Today's queue: the morning is done (one no-show), the afternoon still to come."""
    from payments.services import payment_mark_clinic_paid  # up-call (docs/architecture.md)

    zone, today, now = doctor_zone(doctor), local_today(doctor=doctor), timezone.now()
    made = 0
    for index, at in enumerate(TODAY_TIMES):
        start = datetime.combine(today, at, tzinfo=zone)
        status = (S.NO_SHOW if index == 2 else S.COMPLETED) if start < now else S.CONFIRMED
        appointment = _showcase_appointment(
            doctor=doctor,
            patient=patients[index % len(patients)],
            start=start,
            status=status,
            reason=TODAY_REASONS[index],
        )
        if appointment is not None and appointment.status == S.COMPLETED and index % 2 == 0:
            payment_mark_clinic_paid(appointment=appointment, by=doctor.user)
        made += appointment is not None
    return made


def _showcase_history(doctor, patients: list[User]) -> int:
    """Twelve weeks back: a few visits a week, new patients arriving, some no-shows and cancellations."""
    from payments.services import payment_mark_clinic_paid  # up-call (docs/architecture.md)

    zone, today = doctor_zone(doctor), local_today(doctor=doctor)
    made = 0
    for week in range(1, 12):
        monday = today - timedelta(days=today.weekday() + 7 * week)
        known = patients[: min(len(patients), 3 + (11 - week))]
        for visit in range(3 + (week * 7) % 4):
            start = datetime.combine(monday + timedelta(days=visit % 5), time(10, 0), tzinfo=zone) + timedelta(
                hours=visit // 5
            )
            status = S.NO_SHOW if (week + visit) % 9 == 0 else S.CANCELLED if (week + visit) % 7 == 0 else S.COMPLETED
            appointment = _showcase_appointment(
                doctor=doctor,
                patient=known[(week * 3 + visit) % len(known)],
                start=start,
                status=status,
                reason=TODAY_REASONS[visit],
            )
            if appointment is not None and appointment.status == S.COMPLETED and (week > 1 or visit % 2 == 0):
                payment_mark_clinic_paid(appointment=appointment, by=doctor.user)  # last week's: some still due
            made += appointment is not None
    return made


def _family_booking(*, doctor: DoctorProfile) -> None:
    """The demo parent's first child sees the showcase doctor, so the portal shows an attendee."""
    parent = User.objects.filter(email=FAMILY_PARENT).first()
    first, last, _born = FAMILY_CHILDREN[0]
    child = relatives_of(user=parent).filter(first_name=first, last_name=last).first() if parent else None
    if child is None or Appointment.objects.filter(relative=child, status__in=ACTIVE_STATUSES).exists():
        return
    start = _first_free(doctor, skip=1)
    if start is not None:
        with contextlib.suppress(ApplicationError):  # the demo doctor has no such slot: no family visit
            appointment_book(
                patient=parent,
                doctor=doctor,
                start=start,
                payment_method="clinic",
                reason="Vaccination",
                relative_id=child.pk,
            )


def seed(out) -> None:
    doctors = list(DoctorProfile.objects.select_related("user").order_by("created_at"))
    for index, doctor in enumerate(doctors):
        if not AvailabilityRule.objects.filter(doctor=doctor).exists():
            availability_rules_replace(doctor=doctor, rules=_schedule(index))
    patients = list(User.objects.filter(email__in=DEMO_PATIENTS).order_by("email"))
    verified = [d for d in doctors if d.is_verified]
    if not verified:
        out.write("  appointments: no verified demo doctor, schedules only")
        return
    created = 0
    for index, patient in enumerate(patients):
        if Appointment.objects.filter(patient=patient, status__in=ACTIVE_STATUSES, start__gt=timezone.now()).exists():
            continue
        doctor = verified[index % len(verified)]
        past_start = (timezone.now() - timedelta(days=7 + index)).replace(minute=0, second=0, microsecond=0)
        past = Appointment.objects.create(
            doctor=doctor,
            patient=patient,
            start=past_start,
            end=past_start + timedelta(minutes=doctor.slot_minutes),
            status=AppointmentStatus.COMPLETED,
            payment_method="clinic",
            reason="Annual check-up",
        )
        AppointmentStatusChange.objects.create(appointment=past, from_status="", to_status=past.status, source="demo")
        start = _first_free(doctor, skip=index * 3)
        if start is not None:
            try:
                appointment_book(
                    patient=patient, doctor=doctor, start=start, payment_method="clinic", reason="Follow-up"
                )
                created += 1
            except ApplicationError:
                pass
    out.write(f"  appointments: schedules for {len(doctors)} doctors, {created} upcoming demo appointments")
    _family_booking(doctor=verified[0])
    showcase, showcase_patients = verified[0], _showcase_patients()
    today_count = _showcase_today(showcase, showcase_patients)
    history_count = _showcase_history(showcase, showcase_patients)
    out.write(
        f"  portal   {showcase.user.email}: {today_count} appointments today, {history_count} in the last 12 weeks"
    )
