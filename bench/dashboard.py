"""Server time of the back-office dashboard (the admin's landing page) at 50,000 appointments.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE tabib_po_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tabib_po_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tabib_po_bench .venv/bin/python bench/dashboard.py

The data is bulk-created once and reused by later runs (users under @dashboard.bench.tabib.local): 10
clinics of 5 doctors, 5,000 patients, 50,000 appointments from 20 weeks ago to 4 weeks ahead (past
ones completed, cancelled or no-show; future ones confirmed, pending or cancelled), a payment for most
kept appointments (card or desk, some refunded), 500 support requests, a few doctors awaiting
verification. Two users: the staff of one clinic (a tenth of the data) and a platform admin (all).

For each, `GET /admin/` (the dashboard) goes through Django's full middleware stack with a signed-in
session, `--requests` times after a warm-up, and `clinic_dashboard()` (the figures alone) likewise;
prints median and p95 in ms, the query count and the queries' summed execution time on the server
(EXPLAIN ANALYZE of each, once: the part of the time that is PostgreSQL's).
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()

from django.contrib.auth.models import Permission  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from appointments.models import Appointment  # noqa: E402
from appointments.models import AppointmentStatus as S  # noqa: E402
from clinics.demo import STAFF_PERMISSIONS  # noqa: E402
from clinics.models import Clinic  # noqa: E402
from clinics.selectors import clinic_dashboard  # noqa: E402
from doctors.models import DoctorProfile, VerificationStatus  # noqa: E402
from payments.models import Payment, PaymentProvider, PaymentStatus  # noqa: E402
from support.models import SupportRequest, SupportStatus  # noqa: E402

DOMAIN = "dashboard.bench.tabib.local"
CLINICS = 10
DOCTORS_PER_CLINIC = 5
PATIENTS = 5_000
APPOINTMENTS = 50_000
SUPPORT_REQUESTS = 500
PAST_DAYS = 140
FEE = 5000


def _status(start, now, rng: random.Random) -> str:
    roll = rng.random()
    if start < now:
        return S.COMPLETED if roll < 0.78 else (S.CANCELLED if roll < 0.92 else S.NO_SHOW)
    return S.CONFIRMED if roll < 0.8 else (S.CANCELLED if roll < 0.9 else S.PENDING_PAYMENT)


def _payment(appointment: Appointment, now, rng: random.Random) -> Payment | None:
    if appointment.status not in (S.COMPLETED, S.CONFIRMED, S.CANCELLED) or rng.random() < 0.15:
        return None
    card = appointment.payment_method == "card"
    if not card and appointment.status != S.COMPLETED:
        return None  # the desk records a clinic payment once the visit took place
    paid_at = appointment.start - timedelta(days=2) if card else appointment.start + timedelta(minutes=30)
    if paid_at > now:
        return None
    refunded = FEE if appointment.status == S.CANCELLED else (1000 if rng.random() < 0.03 else 0)
    status = (
        PaymentStatus.REFUNDED
        if refunded == FEE
        else (PaymentStatus.PARTIALLY_REFUNDED if refunded else PaymentStatus.SUCCEEDED)
    )
    return Payment(
        appointment=appointment,
        method=appointment.payment_method,
        provider=PaymentProvider.STRIPE if card else PaymentProvider.CLINIC,
        provider_payment_id=f"pi_bench_{appointment.pk.hex}" if card else "",
        amount=FEE,
        currency="EUR",
        status=status,
        amount_refunded=refunded,
        paid_at=paid_at,
    )


def ensure_data() -> tuple[User, User]:
    existing = {user.email: user for user in User.objects.filter(email__in=[f"staff@{DOMAIN}", f"admin@{DOMAIN}"])}
    if len(existing) == 2:
        return existing[f"staff@{DOMAIN}"], existing[f"admin@{DOMAIN}"]
    print("creating bench data (once)...", flush=True)
    rng = random.Random(21)
    now = timezone.now()
    with transaction.atomic():
        staff = User.objects.create(
            email=f"staff@{DOMAIN}", role=Role.ADMIN, is_staff=True, first_name="Desk", last_name="Bench"
        )
        admin = User.objects.create(
            email=f"admin@{DOMAIN}", role=Role.ADMIN, is_staff=True, is_superuser=True, first_name="Platform"
        )
        for label in STAFF_PERMISSIONS:
            app_label, codename = label.split(".")
            staff.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        clinics = Clinic.objects.bulk_create(
            [Clinic(name=f"Bench clinic {n}", city="Lyon", country="FR") for n in range(CLINICS)]
        )
        clinics[0].staff.add(staff)
        doctor_users = User.objects.bulk_create(
            [
                User(email=f"doctor{n:03d}@{DOMAIN}", role=Role.DOCTOR, first_name="Doc", last_name=f"Bench{n:03d}")
                for n in range(CLINICS * DOCTORS_PER_CLINIC + 5)
            ]
        )
        doctors = DoctorProfile.objects.bulk_create(
            [
                DoctorProfile(
                    user=user,
                    clinic=clinics[n % CLINICS],
                    clinic_name=clinics[n % CLINICS].name,
                    timezone="Europe/Paris",
                    fee_amount=FEE,
                    fee_currency="EUR",
                    verification_status=(
                        VerificationStatus.VERIFIED if n < CLINICS * DOCTORS_PER_CLINIC else VerificationStatus.PENDING
                    ),
                )
                for n, user in enumerate(doctor_users)
            ]
        )[: CLINICS * DOCTORS_PER_CLINIC]
        patients = User.objects.bulk_create(
            [
                User(
                    email=f"patient{n:05d}@{DOMAIN}",
                    role=Role.PATIENT,
                    first_name=f"Patient{n:05d}",
                    last_name="Bench",
                    created_at=now - timedelta(days=rng.uniform(0, PAST_DAYS + 60)),
                )
                for n in range(PATIENTS)
            ],
            batch_size=1000,
        )
        per_doctor = APPOINTMENTS // len(doctors)
        hours = (PAST_DAYS + 28) * 24 / per_doctor  # spread from PAST_DAYS ago to 4 weeks ahead
        first = (now - timedelta(days=PAST_DAYS)).replace(minute=0, second=0, microsecond=0)
        appointments = []
        for d, doctor in enumerate(doctors):
            for k in range(per_doctor):
                start = first + timedelta(hours=round(k * hours, 1), minutes=10 * (d % 3))
                appointments.append(
                    Appointment(
                        doctor=doctor,
                        # distinct patients at any one time (the database refuses a patient in two places)
                        patient=patients[(k * len(doctors) + d) % PATIENTS],
                        start=start,
                        end=start + timedelta(minutes=30),
                        status=_status(start, now, rng),
                        payment_method="card" if rng.random() < 0.6 else "clinic",
                        reason="Bench visit",
                    )
                )
        Appointment.objects.bulk_create(appointments, batch_size=2000)
        payments = [p for p in (_payment(a, now, rng) for a in appointments) if p is not None]
        Payment.objects.bulk_create(payments, batch_size=2000)
        SupportRequest.objects.bulk_create(
            [
                SupportRequest(
                    requester=appointment.patient,
                    appointment=appointment,
                    subject=f"Bench question {n}",
                    message="Where is my receipt?",
                    status=SupportStatus.OPEN if n % 3 else SupportStatus.ANSWERED,
                )
                for n, appointment in enumerate(rng.sample(appointments, SUPPORT_REQUESTS))
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {len(appointments)} appointments, {len(payments)} payments", flush=True)
    return staff, admin


def _time(call, runs: int) -> list[float]:
    for _ in range(3):
        call()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _queries(call) -> tuple[int, float]:
    """How many queries `call` runs, and their summed execution time on the server (EXPLAIN ANALYZE)."""
    seen: list[tuple[str, object]] = []  # a wrapper: request_started resets connection.queries

    def record(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        call()
    server = 0.0
    with connection.cursor() as cursor:
        for sql, params in seen:
            if sql.lstrip().upper().startswith("SELECT"):
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
                server += cursor.fetchone()[0][0]["Execution Time"]
    return len(seen), server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=15)
    args = parser.parse_args()
    staff, admin = ensure_data()
    total = Appointment.objects.count()
    print(f"{connection.vendor}, {total} appointments, {args.requests} runs each after a warm-up, ms")
    print(f"{'who':<16} {'what':<20} {'median':>7} {'p95':>7} {'queries':>8} {'SQL on server':>14}")
    for who, user in (("clinic staff", staff), ("platform admin", admin)):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)

        def page(client=client):
            response = client.get("/admin/")
            assert response.status_code == 200 and b'id="dashboard"' in response.content, response.status_code

        def figures(user=user):
            clinic_dashboard(user=User.objects.get(pk=user.pk))

        for what, call in (("GET /admin/", page), ("clinic_dashboard()", figures)):
            timings = _time(call, args.requests)
            p95 = statistics.quantiles(timings, n=20)[18] if len(timings) > 1 else timings[0]
            count, server = _queries(call)
            print(f"{who:<16} {what:<20} {statistics.median(timings):7.1f} {p95:7.1f} {count:8d} {server:14.1f}")


if __name__ == "__main__":
    main()
