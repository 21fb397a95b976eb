"""Server time of the doctor portal's pages for a busy doctor: 40 appointments on Today's board
(today and the next 7 days), 12 weeks of history, 40 chat threads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tabib_<name> .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tabib_<name> .venv/bin/python bench/portal_pages.py

Each page is rendered in-process through Django's full middleware stack (session, CSRF, locale) with
a signed-in session, `--requests` times after a warm-up; prints p50/p95/p99 in ms and the query count.
The data is created once (users under @portal.bench.tabib.local) and reused by later runs.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from appointments.models import Appointment, AppointmentStatus  # noqa: E402
from appointments.slots import doctor_zone, local_today  # noqa: E402
from chat.models import Thread  # noqa: E402
from chat.services import message_send  # noqa: E402
from doctors.models import DoctorProfile  # noqa: E402

DOMAIN = "portal.bench.tabib.local"
BOARD_APPOINTMENTS = 40
HISTORY_WEEKS = 12
THREADS = 40


def _patients(count: int) -> list[User]:
    users = [
        User(email=f"patient{i:03d}@{DOMAIN}", role=Role.PATIENT, first_name=f"Patient{i:03d}", last_name="Bench")
        for i in range(count)
    ]
    User.objects.bulk_create(users, ignore_conflicts=True)
    return list(User.objects.filter(email__endswith=f"@{DOMAIN}", role=Role.PATIENT).order_by("email"))


def _appointments(doctor: DoctorProfile, patients: list[User]) -> list[Appointment]:
    zone, today = doctor_zone(doctor), local_today(doctor=doctor)
    board = [
        datetime.combine(today + timedelta(days=i % 8), datetime.min.time(), tzinfo=zone)
        + timedelta(hours=8, minutes=30 * (i // 8))
        for i in range(BOARD_APPOINTMENTS)
    ]
    history = [
        datetime.combine(today - timedelta(days=d), datetime.min.time(), tzinfo=zone) + timedelta(hours=10)
        for d in range(1, HISTORY_WEEKS * 7)
        if d % 7 < 5
    ]
    rows = []
    for index, start in enumerate(board + history):
        status = (
            AppointmentStatus.CONFIRMED
            if start > timezone.now()
            else (AppointmentStatus.NO_SHOW if index % 11 == 0 else AppointmentStatus.COMPLETED)
        )
        rows.append(
            Appointment(
                doctor=doctor,
                patient=patients[index % len(patients)],
                start=start,
                end=start + timedelta(minutes=30),
                status=status,
                payment_method="clinic",
                reason="Follow-up",
            )
        )
    return rows


def ensure_data() -> User:
    doctor_user, created = User.objects.get_or_create(
        email=f"doctor@{DOMAIN}", defaults={"role": Role.DOCTOR, "first_name": "Bench", "last_name": "Doctor"}
    )
    if not created:
        return doctor_user
    print("creating bench data...", flush=True)
    with transaction.atomic():
        doctor = DoctorProfile.objects.create(user=doctor_user, timezone="Europe/Paris", verification_status="verified")
        patients = _patients(THREADS)
        Appointment.objects.bulk_create(_appointments(doctor, patients))
        for patient in patients:
            thread = Thread.objects.create(patient=patient, doctor=doctor)
            for n in range(5):
                message_send(thread=thread, sender=patient if n % 2 == 0 else doctor_user, body=f"Message {n}")
    return doctor_user


def _pages(doctor_user: User) -> dict[str, str]:
    doctor = doctor_user.doctor_profile
    appointment = Appointment.objects.filter(doctor=doctor).order_by("start").first()
    thread = Thread.objects.filter(doctor=doctor).first()
    return {
        "today": "/portal/",
        "today live": "/portal/today/live/",
        "appointments": "/portal/appointments/",
        "appointment": f"/portal/appointments/{appointment.pk}/",
        "schedule": "/portal/schedule/",
        "messages": "/portal/messages/",
        "thread": f"/portal/messages/{thread.pk}/",
        "profile": "/portal/profile/",
        "notifications": "/portal/notifications/",
        "insights": "/portal/insights/",
    }


def measure(client: Client, path: str, requests: int) -> tuple[list[float], int]:
    for _ in range(3):
        assert client.get(path).status_code == 200, path
    queries = []  # counted by a wrapper: the request_started signal resets connection.queries
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        client.get(path)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    return timings, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    doctor_user = ensure_data()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(doctor_user)
    print(f"{connection.vendor}, {args.requests} requests per page, ms")
    print(f"{'page':<14} {'p50':>7} {'p95':>7} {'p99':>7} {'queries':>8}")
    for name, path in _pages(doctor_user).items():
        timings, queries = measure(client, path, args.requests)
        cuts = statistics.quantiles(timings, n=100)
        print(f"{name:<14} {statistics.median(timings):7.1f} {cuts[94]:7.1f} {cuts[98]:7.1f} {queries:8d}")


if __name__ == "__main__":
    main()
