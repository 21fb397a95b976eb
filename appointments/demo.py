"""Demo schedules for every demo doctor, and past and upcoming appointments for the demo patients."""

from datetime import time, timedelta

from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment, AppointmentStatus, AppointmentStatusChange, AvailabilityRule
from appointments.services import appointment_book, availability_rules_replace
from appointments.slots import free_slots, local_today
from core.exceptions import ApplicationError
from doctors.models import DoctorProfile

WEEKDAY_HOURS = [(time(9, 0), time(12, 30)), (time(14, 0), time(18, 0))]
DEMO_PATIENTS = ["alice@demo.tabib.local", "helene@demo.tabib.local", "omar@demo.tabib.local",
                 "sara@demo.tabib.local"]


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
    found = [start for _day, slots in free_slots(doctor=doctor, date_from=today + timedelta(days=2),
                                                 date_to=today + timedelta(days=20)) for start, _end in slots]
    return found[skip] if len(found) > skip else None


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
        if Appointment.objects.filter(patient=patient).exists():
            continue
        doctor = verified[index % len(verified)]
        past_start = (timezone.now() - timedelta(days=7 + index)).replace(minute=0, second=0, microsecond=0)
        past = Appointment.objects.create(
            doctor=doctor, patient=patient, start=past_start,
            end=past_start + timedelta(minutes=doctor.slot_minutes), status=AppointmentStatus.COMPLETED,
            payment_method="clinic", reason="Annual check-up",
        )
        AppointmentStatusChange.objects.create(appointment=past, from_status="", to_status=past.status,
                                               source="demo")
        start = _first_free(doctor, skip=index * 3)
        if start is not None:
            try:
                appointment_book(patient=patient, doctor=doctor, start=start, payment_method="clinic",
                                 reason="Follow-up")
                created += 1
            except ApplicationError:
                pass
    out.write(f"  appointments: schedules for {len(doctors)} doctors, {created} upcoming demo appointments")
