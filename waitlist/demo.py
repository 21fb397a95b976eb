"""A full demo doctor with a waiting list: the showcase doctor (the first verified one) has their
next two working days booked solid, and three demo patients wait for a freed slot. Cancel one of
those appointments (portal, admin or API) and the first of them gets the offer."""

from datetime import timedelta

from django.db import IntegrityError, transaction

from accounts.models import Role, User
from appointments.models import Appointment, AppointmentStatus, AppointmentStatusChange
from appointments.slots import free_slots, local_today, schedule_slots
from doctors.models import DoctorProfile, VerificationStatus
from waitlist.models import ACTIVE_STATUSES, WaitlistEntry
from waitlist.services import waitlist_join

FULL_DAYS = 2
WAITING = 3
S = AppointmentStatus


def _fill(doctor: DoctorProfile, patients: list[User]) -> list:
    """Book every free slot of the doctor's next FULL_DAYS working days (from the day after
    tomorrow); returns those days."""
    today = local_today(doctor=doctor)
    window = {"doctor": doctor, "date_from": today + timedelta(days=2), "date_to": today + timedelta(days=16)}
    free = dict(free_slots(**window))
    days = [(day, free[day]) for day, slots in schedule_slots(**window) if slots][:FULL_DAYS]
    for _day, slots in days:
        for index, (start, end) in enumerate(slots):
            try:
                with transaction.atomic():
                    appointment = Appointment.objects.create(
                        doctor=doctor,
                        patient=patients[index % len(patients)],
                        start=start,
                        end=end,
                        status=S.CONFIRMED,
                        payment_method="clinic",
                        reason="Consultation",
                    )
                    AppointmentStatusChange.objects.create(
                        appointment=appointment, from_status="", to_status=S.CONFIRMED, source="demo"
                    )
            except IntegrityError:
                continue  # that demo patient is busy then with another doctor
    return [day for day, _slots in days]


def seed(out) -> None:
    doctor = (
        DoctorProfile.objects.filter(verification_status=VerificationStatus.VERIFIED)
        .select_related("user")
        .order_by("created_at")
        .first()
    )
    patients = list(User.objects.filter(role=Role.PATIENT, email__endswith="@demo.tabib.local").order_by("email"))
    if doctor is None or len(patients) <= WAITING:
        out.write("  waitlist: no verified demo doctor or too few demo patients")
        return
    days = _fill(doctor, patients[WAITING:])
    if not days:
        out.write("  waitlist: the showcase doctor has no working day ahead")
        return
    for patient in patients[:WAITING]:
        if not WaitlistEntry.objects.filter(patient=patient, doctor=doctor, status__in=ACTIVE_STATUSES).exists():
            waitlist_join(patient=patient, doctor=doctor, earliest_date=days[0], latest_date=days[-1])
    out.write(
        f"  waitlist {doctor.user.email}: booked solid on {', '.join(map(str, days))}, {WAITING} patients waiting"
    )
