"""Benchmark of `GET /api/v1/doctors/{id}/availability` (31-day windows) against a running server.

    DATABASE_URL=postgres://... python bench/availability.py --seed --no-load     # 2,000 doctors with schedules
    DATABASE_URL=postgres://... python bench/availability.py --url http://127.0.0.1:8765 --duration 20

Seeding reuses `doctors_search.seed` (the bench doctors), then gives every bench doctor without
rules a weekly schedule, about 15 confirmed appointments in the next 30 days (each doctor with its
own bench patient, bench-patient-NNNNN@bench.tabib.local) and, for one in ten, three days off.

The load asks for `from=today&to=today+30` (UTC dates) of the verified bench doctors (read from
DATABASE_URL): `--hot-share` of the requests go to a hot set of `--hot` doctors, the rest to any
of them. Answers are cached per doctor for the current minute only, so the first request for a
doctor in a minute misses; that count is printed as the hit ratio the load produced.
"""

import argparse
import random
import threading
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from doctors_search import hammer, report, setup_django
from doctors_search import seed as seed_doctors

# Weekly schedules: (weekdays, [(start, end), ...]) in the doctor's zone.
SCHEDULES = [
    (range(5), [(dtime(9), dtime(12, 30)), (dtime(14), dtime(18))]),
    (range(6), [(dtime(8), dtime(13))]),
    ((0, 2, 4), [(dtime(10), dtime(19))]),
    ((1, 3), [(dtime(8, 30), dtime(12)), (dtime(13, 30), dtime(20))]),
]
APPOINTMENTS_PER_DOCTOR = 15
BENCH_DOCTOR_EMAIL = r"^bench-doctor-\d{5}@bench\.tabib\.local$"


def _appointment_starts(rng: random.Random, schedule, zone, slot: timedelta, today: date) -> set[datetime]:
    weekdays, intervals = schedule
    starts: set[datetime] = set()
    for _ in range(APPOINTMENTS_PER_DOCTOR * 3):
        day = today + timedelta(days=rng.randrange(1, 31))
        if day.weekday() not in weekdays:
            continue
        begin, end = rng.choice(intervals)
        count = (datetime.combine(day, end) - datetime.combine(day, begin)) // slot
        local = datetime.combine(day, begin) + slot * rng.randrange(count)
        starts.add(local.replace(tzinfo=zone).astimezone(UTC))
        if len(starts) == APPOINTMENTS_PER_DOCTOR:
            break
    return starts


def seed_schedules() -> None:
    from zoneinfo import ZoneInfo

    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Role, User
    from appointments.availability_cache import schedule_version_bump
    from appointments.models import Appointment, AppointmentStatus, AvailabilityRule, TimeOff
    from doctors.models import DoctorProfile

    rng = random.Random(7)
    doctors = list(
        DoctorProfile.objects.filter(user__email__regex=BENCH_DOCTOR_EMAIL, availability_rules__isnull=True)
        .select_related("user")
        .order_by("user__email")
    )
    today = timezone.now().date()
    rules, appointments, time_off = [], [], []
    patients = User.objects.bulk_create(
        [
            User(
                email=doctor.user.email.replace("bench-doctor-", "bench-patient-"),
                role=Role.PATIENT,
                first_name="Bench",
                last_name="Patient",
                password="!",
            )
            for doctor in doctors
        ],
        batch_size=500,
    )
    for doctor, patient in zip(doctors, patients, strict=True):
        schedule = rng.choice(SCHEDULES)
        rules += [
            AvailabilityRule(doctor=doctor, weekday=weekday, start_time=begin, end_time=end)
            for weekday in schedule[0]
            for begin, end in schedule[1]
        ]
        slot = timedelta(minutes=doctor.slot_minutes)
        for start in _appointment_starts(rng, schedule, ZoneInfo(doctor.timezone), slot, today):
            appointments.append(
                Appointment(
                    doctor=doctor,
                    patient=patient,
                    start=start,
                    end=start + slot,
                    status=AppointmentStatus.CONFIRMED,
                    payment_method="clinic",
                )
            )
        if rng.random() < 0.1:
            off = datetime.combine(today + timedelta(days=rng.randrange(1, 28)), dtime.min, tzinfo=UTC)
            time_off.append(TimeOff(doctor=doctor, start=off, end=off + timedelta(days=3), reason="Congress"))
    with transaction.atomic():
        AvailabilityRule.objects.bulk_create(rules, batch_size=1000)
        Appointment.objects.bulk_create(appointments, batch_size=1000)
        TimeOff.objects.bulk_create(time_off, batch_size=1000)
        for doctor in doctors:
            schedule_version_bump(doctor_id=doctor.pk)
    print(
        f"gave {len(doctors)} bench doctors a schedule: {len(rules)} rules, {len(appointments)} appointments, "
        f"{len(time_off)} time off"
    )


def bench_doctor_ids() -> list[str]:
    from doctors.models import DoctorProfile, VerificationStatus

    return [
        str(pk)
        for pk in DoctorProfile.objects.filter(
            user__email__regex=BENCH_DOCTOR_EMAIL,
            verification_status=VerificationStatus.VERIFIED,
        )
        .order_by("user__email")
        .values_list("pk", flat=True)
    ]


def load(
    url: str, doctor_ids: list[str], hot: int, hot_share: float, concurrency: int, total: int, duration: float
) -> None:
    today = datetime.now(UTC).date()
    query = f"from={today.isoformat()}&to={(today + timedelta(days=30)).isoformat()}"
    hot_ids = doctor_ids[:hot]
    seen: set[tuple[str, int]] = set()
    misses = 0
    lock = threading.Lock()

    def next_request(rng: random.Random) -> tuple[str, dict[str, str]]:
        nonlocal misses
        doctor_id = rng.choice(hot_ids if rng.random() < hot_share else doctor_ids)
        with lock:
            key = (doctor_id, int(time.time() // 60))
            if key not in seen:
                seen.add(key)
                misses += 1
        return f"/api/v1/doctors/{doctor_id}/availability?{query}", {"Accept-Language": rng.choice(["en", "fr"])}

    latencies, statuses, elapsed = hammer(url, concurrency, total, duration, next_request)
    report(f"hot={hot} hot_share={hot_share:.0%} doctors={len(doctor_ids)}", latencies, statuses, concurrency, elapsed)
    print(f"hit ratio ~{1 - misses / max(len(latencies), 1):.1%} ({misses} first requests of a doctor in a minute)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", action="store_true", help="seed doctors and schedules first (DATABASE_URL)")
    parser.add_argument("--doctors", type=int, default=2000, help="number of bench doctors to seed")
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--hot", type=int, default=200, help="size of the hot set of doctors")
    parser.add_argument("--hot-share", type=float, default=0.8, help="share of requests that go to the hot set")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=20000, help="upper bound on requests")
    parser.add_argument("--duration", type=float, default=15.0, help="upper bound on seconds")
    parser.add_argument("--no-load", action="store_true", help="only seed")
    args = parser.parse_args()
    if args.seed:
        seed_doctors(args.doctors)
        seed_schedules()
    if not args.no_load:
        setup_django()
        load(args.url, bench_doctor_ids(), args.hot, args.hot_share, args.concurrency, args.requests, args.duration)


if __name__ == "__main__":
    main()
